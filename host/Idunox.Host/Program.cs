using Idunox.Credentials;
using Idunox.Host.Platform;
using Idunox.Identity;
using Idunox.Notifications;
using Idunox.Shared.Modularity;
using Idunox.StaffAdmin;

return await IdunoxHost.RunAsync(args, Program.Modules);

/// <summary>The entry point, visible to WebApplicationFactory and the architecture tests.</summary>
public partial class Program
{
    /// <summary>The modules of the platform, listed explicitly; each can be switched off with Modules:&lt;Name&gt;:Enabled=false.</summary>
    public static IReadOnlyList<IModule> Modules { get; } =
    [
        new IdentityModule(),
        new CredentialsModule(),
        new NotificationsModule(),
        new StaffAdminModule(),
    ];
}
