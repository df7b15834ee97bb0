using Idunox.Credentials;
using Idunox.Host.Platform;
using Idunox.Identity;
using Idunox.Notifications;
using Idunox.Shared.Modularity;
using Idunox.StaffAdmin;

// The modules of the platform, listed explicitly; each can be switched off with Modules:<Name>:Enabled=false.
IModule[] modules =
[
    new IdentityModule(),
    new CredentialsModule(),
    new NotificationsModule(),
    new StaffAdminModule(),
];

return await IdunoxHost.RunAsync(args, modules);

/// <summary>The entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
