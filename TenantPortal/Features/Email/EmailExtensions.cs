using Microsoft.AspNetCore.Identity;
using TenantPortal.Data;

namespace TenantPortal.Features.Email;

internal static class EmailExtensions
{
    public static WebApplicationBuilder AddPortalEmail(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var smtp = builder.Configuration.GetSection("Email:Smtp");
        services.Configure<SmtpOptions>(smtp);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<PortalEmailSender>();
        services.AddSingleton<IEmailSender<PortalUser>>(sp => sp.GetRequiredService<PortalEmailSender>());
        services.AddSingleton<IPortalMail>(sp => sp.GetRequiredService<PortalEmailSender>());
        var hasSmtp = !string.IsNullOrWhiteSpace(smtp["Host"]);
        if (builder.Environment.IsDevelopment() || !hasSmtp)
        {
            services.AddSingleton<IMailTransport, LogMailTransport>();
        }

        if (builder.Environment.IsDevelopment())
        {
            services.AddSingleton<DevOutbox>();
            services.AddSingleton<IMailTransport>(sp => sp.GetRequiredService<DevOutbox>());
        }

        if (hasSmtp)
        {
            services.AddSingleton<IMailTransport, SmtpMailTransport>();
        }

        return builder;
    }
}
