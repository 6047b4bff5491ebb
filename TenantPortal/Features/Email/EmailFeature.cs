using Microsoft.AspNetCore.Identity;
using TenantPortal.Data;

namespace TenantPortal.Features.Email;

/// <summary>Account and invitation mail: logged, kept in the development Outbox, and sent by SMTP when configured.</summary>
internal sealed class EmailFeature : IPortalFeature
{
    public void AddServices(IServiceCollection services, FeatureSettings settings)
    {
        var smtp = settings.Configuration.GetSection("Email:Smtp");
        services.Configure<SmtpOptions>(smtp);
        services.AddSingleton<PortalEmailSender>();
        services.AddSingleton<IEmailSender<PortalUser>>(sp => sp.GetRequiredService<PortalEmailSender>());
        services.AddSingleton<IPortalMail>(sp => sp.GetRequiredService<PortalEmailSender>());
        var hasSmtp = !string.IsNullOrWhiteSpace(smtp["Host"]);
        if (settings.Environment.IsDevelopment() || !hasSmtp)
        {
            services.AddSingleton<IMailTransport, LogMailTransport>();
        }

        if (settings.Environment.IsDevelopment())
        {
            services.AddSingleton<DevOutbox>();
            services.AddSingleton<IMailTransport>(sp => sp.GetRequiredService<DevOutbox>());
        }

        if (hasSmtp)
        {
            services.AddSingleton<IMailTransport, SmtpMailTransport>();
        }
    }
}
