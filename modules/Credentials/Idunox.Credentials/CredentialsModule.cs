using Idunox.Credentials.Audit;
using Idunox.Credentials.Contracts;
using Idunox.Credentials.Gateway;
using Idunox.Credentials.Jobs;
using Idunox.Credentials.Keys;
using Idunox.Credentials.Keys.Create;
using Idunox.Credentials.Keys.Handover;
using Idunox.Credentials.Keys.List;
using Idunox.Credentials.Keys.Revoke;
using Idunox.Credentials.Keys.Rotate;
using Idunox.Credentials.Persistence;
using Idunox.Credentials.Verification;
using Idunox.Shared;
using Idunox.Shared.Jobs;
using Idunox.Shared.Modularity;
using Idunox.Shared.MultiTenancy;
using Idunox.Shared.Outbox;
using Idunox.Shared.Persistence;
using Idunox.Shared.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Idunox.Credentials;

/// <summary>API keys: their lifecycle, format, hashing and verification, the X-Api-Key scheme and the audit trail.</summary>
public sealed class CredentialsModule : IModule
{
    public string Name => "Credentials";

    /// <summary>Keys belong to organisations, and the portal's endpoints to signed-in partner users.</summary>
    public IReadOnlyList<Type> DependsOn => [typeof(Idunox.Identity.Contracts.IOrganisationDirectory)];

    public void AddServices(IHostApplicationBuilder builder)
    {
        builder.AddModuleDbContext<CredentialsDbContext, SqliteCredentialsDbContext, PostgresCredentialsDbContext>(
            CredentialsDbContext.SchemaName);
        builder.Services.AddOptions<KeyPolicyOptions>().Bind(builder.Configuration.GetSection(KeyPolicyOptions.SectionName))
            .Validate(o => ApiKeyFormat.Environments.Contains(o.Environment), "Credentials:Environment must be 'test' or 'live'.")
            .Validate(o => o.DefaultValidityDays >= 1 && o.DefaultValidityDays <= o.MaxValidityDays,
                "Credentials:DefaultValidityDays must be between 1 and Credentials:MaxValidityDays.")
            .Validate(o => o.ExpiringThresholdDays >= 0 && o.MaxActiveKeysPerTenant >= 1,
                "Credentials:ExpiringThresholdDays must be 0 or more and Credentials:MaxActiveKeysPerTenant at least 1.")
            .ValidateOnStart();
        builder.Services.AddSingleton<Idunox.Identity.Contracts.IKeyPolicyPublisher, KeyPolicyPublisher>();
        builder.Services.AddScoped<KeyStore>();
        builder.Services.AddScoped<KeyQueries>();
        builder.Services.AddScoped<KeyRotation>();
        builder.Services.AddScoped<ListAudit>();
        builder.Services.AddScoped<ListKeys>();
        builder.Services.AddScoped<CreateKey>();
        builder.Services.AddScoped<RotateKey>();
        builder.Services.AddScoped<RevokeKey>();
        builder.Services.AddScoped<Keys.Change.ChangeKey>();
        builder.Services.AddScoped<HandOverKey>();
        builder.Services.AddScoped<GraceUsage>();
        builder.Services.AddScoped<ICredentialDirectory, CredentialDirectory>();
        builder.Services.AddScoped<ITenantKeyAdministration, TenantKeyAdministration>();
        builder.Services.AddOutbox<CredentialsDbContext>();
        builder.Services.AddRecurringJob<GraceSweep>(GraceSweep.JobName, "*/5 * * * *");
        builder.Services.AddSingleton<ApiKeyVerifier>();
        builder.Services.AddSingleton<LastUsedRecorder>();
        builder.Services.AddSingleton<IpFindings>();
        builder.Services.AddScoped<Idunox.Shared.Jobs.IRetentionPolicy, IpFindingRetention>();
        builder.Services.AddSingleton<LastUsedWriter>();
        builder.Services.AddHostedService(s => s.GetRequiredService<LastUsedWriter>());
        builder.Services.AddOptions<VerificationOptions>().Bind(builder.Configuration.GetSection(VerificationOptions.SectionName))
            .Validate(o => o.RefusalsPerAddressPerMinute >= 1, "Credentials:Verification:RefusalsPerAddressPerMinute must be at least 1.")
            .Validate(o => o.LastUsedFlushSeconds is >= 1 and <= 300, "Credentials:Verification:LastUsedFlushSeconds must be 1 to 300.")
            .Validate(o => o.CacheSeconds >= 0 && o.CacheSize >= 0 && o.UnknownCacheSize >= 0,
                "Credentials:Verification:CacheSeconds, CacheSize and UnknownCacheSize must be 0 (off) or more.")
            .ValidateOnStart();
        builder.Services.AddSingleton<CredentialsMetrics>();
        builder.Services.AddSingleton<KeyVerificationCache>();
        builder.Services.AddHostedService<VerificationListener>();
        builder.Services.AddSingleton<Idunox.Identity.Contracts.IOrganisationStatusHandler, OrganisationStatusEviction>();
        builder.Services.AddSingleton<KeyRefusalLimiter>();
        builder.Services.AddOptions<RateLimitOptions>().Bind(builder.Configuration.GetSection(RateLimitOptions.SectionName))
            .Validate(o => o.HeartbeatSeconds is >= 1 and <= 60 && o.MissedBeats is >= 2 and <= 10,
                "Credentials:RateLimits: HeartbeatSeconds is 1 to 60 and MissedBeats 2 to 10.").ValidateOnStart();
        builder.Services.AddSingleton<LiveHosts>();
        builder.Services.AddHostedService(s => s.GetRequiredService<LiveHosts>());
        builder.Services.AddSingleton<KeyRateLimiter>();
        builder.Services.AddSingleton<ApiKeyGate>();
        builder.Services.AddSingleton<ApiKeyRefusals>();
        builder.AddGateway();
    }

    /// <summary>The partner portal's key and audit pages.</summary>
    public System.Reflection.Assembly PageAssembly => typeof(CredentialsModule).Assembly;

    public void MapEndpoints(IEndpointRouteBuilder routes)
    {
        KeyEndpoints.Map(routes);
        ListAudit.Map(routes);
        Probe.Map(routes);
        GatewaySetup.MapGateway(routes);
    }
}
