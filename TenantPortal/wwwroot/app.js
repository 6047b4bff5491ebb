// Browser helpers that interactive components call through IJSRuntime.
window.tenantPortal = {
    // Swaps the Radzen theme stylesheet in place (material-base.css <-> material-dark-base.css), keeping its version query.
    applyTheme(theme) {
        const link = document.getElementById('radzen-theme-link');
        if (link) {
            link.href = link.href.replace(/\/[a-z-]+-base\.css/, `/${theme}-base.css`);
        }
    }
};
