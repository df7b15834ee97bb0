using Idunox.Notifications.Persistence;
using Idunox.Shared.Modularity;
using Idunox.Shared.Persistence;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace Idunox.Notifications;

/// <summary>E-mail (SMTP, or .eml files on the embedded default), its templates and the reminder schedule.</summary>
public sealed class NotificationsModule : IModule
{
    public string Name => "Notifications";

    public void AddServices(IHostApplicationBuilder builder)
    {
        builder.AddModuleDbContext<NotificationsDbContext, SqliteNotificationsDbContext, PostgresNotificationsDbContext>(
            NotificationsDbContext.SchemaName);
    }

    public void MapEndpoints(IEndpointRouteBuilder routes)
    {
    }
}
