using Idunox.Identity.Authentication;
using Idunox.Identity.Cli;
using Idunox.Identity.Configuration;
using Idunox.Shared.Web.Sessions;
using Idunox.Identity.Contracts;
using Idunox.Identity.Account;
using Idunox.Identity.Onboarding;
using Idunox.Identity.Organisations;
using Idunox.Identity.Passwords;
using Idunox.Identity.Persistence;
using Idunox.Identity.Seed;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Idunox.Identity.Sessions;
using Idunox.Identity.SignIn;
using Idunox.Identity.Staff;
using Idunox.Identity.Users;
using Idunox.Shared.Modularity;
using Idunox.Shared.Persistence;
using Idunox.Shared.Web;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Idunox.Identity;

/// <summary>
/// Organisations (tenants), portal and staff users, and who you are: partner and staff sign-in (with the staff's second
/// factor), both areas' cookie sessions (one builder, two profiles), sign-out, account pages, <c>/me</c> and the public
/// portal configuration.
/// </summary>
public sealed class IdentityModule : IModule
{
    public string Name => "Identity";

    public void AddServices(IHostApplicationBuilder builder)
    {
        var jwt = JwtSettings.From(builder.Configuration, builder.Environment);
        builder.AddModuleDbContext<IdentityModuleDbContext, SqliteIdentityModuleDbContext, PostgresIdentityModuleDbContext>(
            IdentityModuleDbContext.SchemaName);
        builder.Services.AddOptions<LoginOptions>().Bind(builder.Configuration.GetSection(LoginOptions.SectionName))
            .Validate(o => o.MaxFailedAttempts >= 1 && o.LockoutMinutes >= 1 && o.AttemptsPerAddressPerMinute >= 1,
                "Identity:Login:MaxFailedAttempts, LockoutMinutes and AttemptsPerAddressPerMinute must each be at least 1.")
            .ValidateOnStart();

        // Two user stores in one module: a partner account can never act as staff, nor the reverse.
        builder.Services.AddIdentityCore<PartnerUser>(ConfigureIdentity)
            .AddUserStore<UserOnlyStore<PartnerUser, IdentityModuleDbContext, Guid>>()
            .AddPasswordValidator<NotTheEmailPasswordValidator<PartnerUser>>()
            .AddPasswordValidator<CommonPasswordValidator<PartnerUser>>();
        builder.Services.AddIdentityCore<StaffUser>(ConfigureIdentity)
            .AddRoles<StaffRole>()
            .AddUserStore<StaffUserStore>()
            .AddRoleStore<RoleStore<StaffRole, IdentityModuleDbContext, Guid>>()
            .AddPasswordValidator<NotTheEmailPasswordValidator<StaffUser>>()
            .AddPasswordValidator<CommonPasswordValidator<StaffUser>>();

        builder.AddPartnerAuthentication(jwt);
        builder.AddPortalSession();
        var production = builder.Environment.IsProduction();
        builder.Services.AddOptions<AdminOptions>().Bind(builder.Configuration.GetSection(AdminOptions.SectionName))
            .Validate(o => o.RequireTwoFactor || !production, "Admin:RequireTwoFactor cannot be false in Production: staff sign in with a second factor.")
            .ValidateOnStart();
        builder.AddStaffSession();
        builder.Services.TryAddScoped<IStaffActivityLog, NoStaffActivityLog>();
        // Portal cookies and antiforgery tokens are protected with a key ring kept in the database: sessions survive a
        // restart and every server of the platform reads the same ring.
        // The ring is encrypted with a certificate (DataProtection:Certificate*): reading the database gives no key.
        builder.Services.AddDataProtection().SetApplicationName("Idunox Partner Platform").PersistKeysToDbContext<IdentityModuleDbContext>()
            .ProtectKeyRing(builder.Configuration, builder.Environment);
        builder.Services.AddSingleton<ISiteBrandingSource, SiteBrandingSource>();
        // What other modules contribute, with defaults while they are switched off: the module that sends e-mail and the
        // one that owns keys register their own (the last registration wins).
        builder.Services.TryAddSingleton<IAccountEmails, NoAccountEmails>();
        builder.Services.TryAddSingleton<IKeyPolicyPublisher, NoKeyPolicy>();
        builder.Services.AddSingleton<IdentityMetrics>();
        builder.Services.AddScoped<SignInPartner>();
        builder.Services.AddScoped<ChangePassword>();
        builder.Services.AddScoped<GetMe>();
        builder.Services.AddScoped<LoginLockout>();
        builder.Services.AddScoped<Idunox.Shared.Jobs.IRetentionPolicy, StaleLoginAttemptRetention>();
        builder.Services.AddScoped<Idunox.Shared.Jobs.IRetentionPolicy, StaleAddressWindowRetention>();
        builder.Services.AddScoped<LoginRateLimiter>();
        builder.Services.AddScoped<UserSessions>();
        builder.Services.AddScoped<IUserSessions>(sp => sp.GetRequiredService<UserSessions>());
        builder.Services.AddScoped<Idunox.Shared.Jobs.IRetentionPolicy, EndedSessionRetention>();
        builder.Services.AddSingleton<PartnerLinks>();
        builder.Services.AddScoped<AccountLinks>();
        builder.Services.AddScoped<PartnerAccounts>();
        builder.Services.AddScoped<IPartnerAccounts>(sp => sp.GetRequiredService<PartnerAccounts>());
        builder.Services.AddScoped<StaffAccounts>();
        builder.Services.AddScoped<IStaffAccounts>(sp => sp.GetRequiredService<StaffAccounts>());
        builder.Services.AddScoped<IStaffDirectory, StaffDirectory>();
        builder.Services.AddScoped<StaffOwnAccount>();
        builder.Services.AddScoped<Provisioning>();
        builder.Services.AddScoped<IOrganisationProvisioning>(sp => sp.GetRequiredService<Provisioning>());
        builder.Services.AddScoped<IPartnerUserDirectory>(sp => sp.GetRequiredService<Provisioning>());
        builder.Services.AddScoped<IOrganisationDirectory, OrganisationDirectory>();
        builder.Services.AddSingleton<IHostVerb, TenantsVerb>();
        builder.Services.AddSingleton<IHostVerb, PartnersVerb>();
        if (builder.Environment.IsDevelopment())
        {
            builder.Services.AddSingleton<IStartupTask, DevelopmentSeed>();
        }
    }

    /// <summary>Sign-in and account pages of the partner portal.</summary>
    public System.Reflection.Assembly PageAssembly => typeof(IdentityModule).Assembly;

    public void MapEndpoints(IEndpointRouteBuilder routes)
    {
        routes.MapSignOut(PortalSession.SignOutPath, PortalSession.SignInPath, PortalSession.HomePath, PortalSession.SignOutAsync);
        routes.MapSignOut(StaffSession.SignOutPath, StaffSession.SignInPath, StaffSession.HomePath, StaffSession.SignOutAsync);
        GetPartnerConfig.Map(routes);
        Login.Map(routes);
        GetMe.Map(routes);
        ChangePassword.Map(routes);
        SessionEndpoints.Map(routes);
    }

    private static void ConfigureIdentity(IdentityOptions o)
    {
        UserRules.ConfigurePasswords(o.Password);
        o.User.RequireUniqueEmail = true;
        o.User.AllowedUserNameCharacters = string.Empty; // user names are e-mail addresses, checked as such
        o.Lockout.AllowedForNewUsers = false; // sign-in has its own lockout, which covers unknown e-mails too
    }
}
