using Idunox.Credentials.Contracts;
using Idunox.Notifications.Email;
using Idunox.Notifications.Notices;
using Idunox.Notifications.Persistence;
using Idunox.Notifications.Reminders;
using Idunox.Notifications.Templates;
using Idunox.Shared.Jobs;
using Idunox.Shared.Modularity;
using Idunox.Shared.Outbox;
using Idunox.Shared.Persistence;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Idunox.Notifications;

/// <summary>E-mail (SMTP, or .eml files on the embedded default), its templates, the reminder schedule and security notices.</summary>
public sealed class NotificationsModule : IModule
{
    public string Name => "Notifications";

    /// <summary>It writes to organisations' users about their keys.</summary>
    public IReadOnlyList<Type> DependsOn => [typeof(Idunox.Identity.Contracts.IPartnerUserDirectory), typeof(Idunox.Credentials.Contracts.ICredentialDirectory)];

    public void AddServices(IHostApplicationBuilder builder)
    {
        var email = EmailOptions.From(builder.Configuration, builder.Environment);
        builder.AddModuleDbContext<NotificationsDbContext, SqliteNotificationsDbContext, PostgresNotificationsDbContext>(
            NotificationsDbContext.SchemaName);
        builder.Services.AddSingleton(email);
        builder.Services.AddSingleton<IEmailTransport>(email.Mode == EmailMode.Smtp ? new SmtpEmailTransport(email) : new PickupEmailTransport(email));
        builder.Services.AddSingleton(sp => new EmailTemplates(Brand.From(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<Idunox.Shared.Configuration.PortalSettings>>().Value)));
        builder.Services.AddSingleton<AccountEmails>();
        builder.Services.AddSingleton<Idunox.Identity.Contracts.IAccountEmails>(sp => sp.GetRequiredService<AccountEmails>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AccountEmails>());
        builder.Services.AddSingleton<NotificationsMetrics>();
        builder.Services.AddSingleton<EmailDispatcher>();
        builder.Services.AddScoped<Idunox.Notifications.Contracts.IEmailQueueStatus, EmailQueueStatusReader>();
        builder.Services.AddScoped<IRetentionPolicy, SentEmailRetention>();
        builder.Services.AddOptions<ReminderOptions>().Bind(builder.Configuration.GetSection(ReminderOptions.SectionName))
            .Validate(o => o.Thresholds.All(t => t is >= 1 and <= 365), "Notifications:ReminderThresholdDays must each be 1 to 365 days.")
            .ValidateOnStart();

        builder.Services.AddRecurringJob<ExpiryReminders>(ExpiryReminders.JobName, "0 * * * *");
        builder.Services.AddRecurringJob<EmailDispatchJob>(EmailDispatchJob.JobName, "* * * * *");
        builder.Services.AddIntegrationEventHandler<ApiKeyCreated, SecurityNotices>();
        builder.Services.AddIntegrationEventHandler<ApiKeyRotated, SecurityNotices>();
        builder.Services.AddIntegrationEventHandler<ApiKeyHandoverOffered, SecurityNotices>();
        builder.Services.AddIntegrationEventHandler<ApiKeyRevoked, SecurityNotices>();
        builder.Services.AddIntegrationEventHandler<ApiKeyChanged, SecurityNotices>();
        builder.Services.AddIntegrationEventBatchHandler<ApiKeyGraceEnded, SecurityNotices>();
        builder.Services.AddScoped<IRetentionPolicy, HandledEventRetention>();
    }

    public void MapEndpoints(IEndpointRouteBuilder routes)
    {
    }
}
