// Browser helpers that interactive components call through IJSRuntime.
window.tenantPortal = {
    // Downloads a streamed export, reporting rows received (lines) against the announced total to .NET, then saves it.
    async downloadWithProgress(url, progress) {
        const response = await fetch(url, { credentials: 'same-origin' });
        if (!response.ok) {
            await progress.invokeMethodAsync('Failed', response.status);
            return;
        }
        const total = parseInt(response.headers.get('X-Audit-Rows') || '0', 10);
        const name = (/filename="([^"]+)"/.exec(response.headers.get('Content-Disposition') || '') || [])[1] || 'audit-export';
        const reader = response.body.getReader();
        const chunks = [];
        let lines = 0, reported = 0;
        for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            chunks.push(value);
            for (let i = 0; i < value.length; i++) if (value[i] === 10) lines++;
            if (lines - reported >= 200) {
                reported = lines;
                await progress.invokeMethodAsync('Progress', lines, total);
            }
        }
        const link = document.createElement('a');
        link.href = URL.createObjectURL(new Blob(chunks, { type: response.headers.get('Content-Type') || 'text/plain' }));
        link.download = name;
        document.body.appendChild(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(link.href), 10000);
        await progress.invokeMethodAsync('Finished', lines, total);
    },

    // Swaps the Radzen theme stylesheet in place (material-base.css <-> material-dark-base.css), keeping its version query.
    applyTheme(theme) {
        const link = document.getElementById('radzen-theme-link');
        if (link) {
            link.href = link.href.replace(/\/[a-z-]+-base\.css/, `/${theme}-base.css`);
        }
    },

    // Copies text to the clipboard; falls back to a selected text area where the Clipboard API is unavailable (plain http).
    async copyText(text) {
        try {
            if (navigator.clipboard && window.isSecureContext) {
                await navigator.clipboard.writeText(text);
                return true;
            }
        } catch { /* fall through */ }
        const area = document.createElement('textarea');
        area.value = text;
        area.setAttribute('readonly', '');
        area.style.position = 'fixed';
        area.style.opacity = '0';
        document.body.appendChild(area);
        area.select();
        const copied = document.execCommand('copy');
        area.remove();
        return copied;
    },

    // Moves keyboard focus to an element by id (after what had it, such as a dialog's opener, is gone).
    focus(id) {
        document.getElementById(id)?.focus();
    }
};
