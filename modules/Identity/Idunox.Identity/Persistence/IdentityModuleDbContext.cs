using Idunox.Identity.Organisations;
using Idunox.Identity.Sessions;
using Idunox.Identity.SignIn;
using Idunox.Identity.Users;
using Idunox.Shared;
using Idunox.Shared.Persistence;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Idunox.Identity.Persistence;

internal abstract class IdentityModuleDbContext(DbContextOptions options, ITenantContext tenant)
    : ModuleDbContext(options, tenant), IDataProtectionKeyContext
{
    public const string SchemaName = "identity";

    public override string Schema => SchemaName;

    public DbSet<Organisation> Organisations => Set<Organisation>();

    public DbSet<PartnerUser> PartnerUsers => Set<PartnerUser>();

    public DbSet<StaffUser> StaffUsers => Set<StaffUser>();

    public DbSet<LoginAttempt> LoginAttempts => Set<LoginAttempt>();

    public DbSet<AddressWindow> AddressWindows => Set<AddressWindow>();

    public DbSet<UserSession> UserSessions => Set<UserSession>();

    /// <summary>The key ring that protects portal cookies and antiforgery tokens, shared by every server of the platform.</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void BuildModel(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Organisation>(o =>
        {
            o.ToTable("organisations");
            o.HasKey(x => x.Id);
            o.Property(x => x.Name).HasMaxLength(Organisation.MaxNameLength);
            o.Property(x => x.Slug).HasMaxLength(Organisation.MaxSlugLength);
            o.HasIndex(x => x.Slug).IsUnique();
            o.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
            o.Property(x => x.SessionStamp).HasMaxLength(64);
        });

        modelBuilder.Entity<PartnerUser>(u =>
        {
            u.ToTable("partner_users");
            MapIdentityUser(u);
            u.Property(x => x.DisplayName).HasMaxLength(PartnerUser.MaxDisplayNameLength);
            u.HasOne<Organisation>().WithMany().HasForeignKey(x => x.TenantId).OnDelete(DeleteBehavior.Restrict);
            u.HasIndex(x => x.TenantId);
        });

        modelBuilder.Entity<DataProtectionKey>(k =>
        {
            k.ToTable("data_protection_keys");
            k.HasKey(x => x.Id);
        });

        modelBuilder.Entity<StaffUser>(u =>
        {
            u.ToTable("staff_users");
            MapIdentityUser(u);
        });

        modelBuilder.Entity<StaffRole>(r =>
        {
            r.ToTable("staff_roles");
            r.HasKey(x => x.Id);
            r.Property(x => x.Name).HasMaxLength(64);
            r.Property(x => x.NormalizedName).HasMaxLength(64);
            r.HasIndex(x => x.NormalizedName).IsUnique();
            r.Property(x => x.ConcurrencyStamp).IsConcurrencyToken();
        });

        modelBuilder.Entity<IdentityUserRole<Guid>>(ur =>
        {
            ur.ToTable("staff_user_roles");
            ur.HasKey(x => new { x.UserId, x.RoleId });
            ur.HasOne<StaffUser>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
            ur.HasOne<StaffRole>().WithMany().HasForeignKey(x => x.RoleId).OnDelete(DeleteBehavior.Cascade);
        });

        // Tokens the user store keeps: a staff member's authenticator key and hashed recovery codes. Partner users keep
        // none (their one-time links are Data Protection tokens checked against the security stamp, stored nowhere).
        modelBuilder.Entity<IdentityUserToken<Guid>>(t =>
        {
            t.ToTable("staff_user_tokens");
            t.HasKey(x => new { x.UserId, x.LoginProvider, x.Name });
            t.Property(x => x.LoginProvider).HasMaxLength(64);
            t.Property(x => x.Name).HasMaxLength(64);
            t.HasOne<StaffUser>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<LoginAttempt>(a =>
        {
            a.ToTable("login_attempts");
            a.HasKey(x => x.EmailHash);
            a.Property(x => x.EmailHash).HasMaxLength(32);
        });

        modelBuilder.Entity<AddressWindow>(w =>
        {
            w.ToTable("sign_in_address_windows");
            w.HasKey(x => new { x.Address, x.WindowStart });
            w.Property(x => x.Address).HasMaxLength(AddressWindow.MaxAddressLength);
            w.HasIndex(x => x.WindowStart); // retention
        });

        modelBuilder.Entity<UserSession>(s =>
        {
            s.ToTable("user_sessions");
            s.HasKey(x => x.Id);
            s.Property(x => x.Kind).HasMaxLength(16);
            s.Property(x => x.EndedBecause).HasMaxLength(UserSession.MaxReasonLength);
            s.Property(x => x.Address).HasMaxLength(UserSession.MaxAddressLength);
            s.Property(x => x.UserAgent).HasMaxLength(UserSession.MaxUserAgentLength);
            s.HasIndex(x => new { x.UserId, x.Kind }); // a user's sessions: the list, "sign out everywhere"
            s.HasIndex(x => x.ExpiresAt); // retention
        });
    }

    private static void MapIdentityUser<TUser>(Microsoft.EntityFrameworkCore.Metadata.Builders.EntityTypeBuilder<TUser> u)
        where TUser : IdentityUser<Guid>
    {
        u.HasKey(x => x.Id);
        u.Property(x => x.UserName).HasMaxLength(256);
        u.Property(x => x.NormalizedUserName).HasMaxLength(256);
        u.Property(x => x.Email).HasMaxLength(256);
        u.Property(x => x.NormalizedEmail).HasMaxLength(256);
        u.HasIndex(x => x.NormalizedUserName).IsUnique();
        // E-mail is unique across every organisation: it is how a user signs in.
        u.HasIndex(x => x.NormalizedEmail).IsUnique();
        u.Property(x => x.ConcurrencyStamp).IsConcurrencyToken();
        u.Property(x => x.PhoneNumber).HasMaxLength(64);
        u.Property(x => x.SecurityStamp).HasMaxLength(64);
        u.Property(x => x.PasswordHash).HasMaxLength(512);
    }
}

/// <summary>The SQLite flavour; owns <c>Persistence/Migrations/Sqlite</c>.</summary>
internal sealed class SqliteIdentityModuleDbContext(DbContextOptions<SqliteIdentityModuleDbContext> options, ITenantContext tenant)
    : IdentityModuleDbContext(options, tenant);

/// <summary>The PostgreSQL flavour; owns <c>Persistence/Migrations/Postgres</c>.</summary>
internal sealed class PostgresIdentityModuleDbContext(DbContextOptions<PostgresIdentityModuleDbContext> options, ITenantContext tenant)
    : IdentityModuleDbContext(options, tenant);

internal sealed class SqliteIdentityDesignTimeFactory() : ModuleDesignTimeFactory<SqliteIdentityModuleDbContext>(DatabaseProvider.Sqlite, IdentityModuleDbContext.SchemaName);

internal sealed class PostgresIdentityDesignTimeFactory() : ModuleDesignTimeFactory<PostgresIdentityModuleDbContext>(DatabaseProvider.Postgres, IdentityModuleDbContext.SchemaName);
