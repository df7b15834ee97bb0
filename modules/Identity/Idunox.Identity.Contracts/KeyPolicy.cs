namespace Idunox.Identity.Contracts;

/// <summary>The key policy as the public portal configuration publishes it (<c>GET /v1/partner/config</c>).</summary>
public sealed record PublishedKeyPolicy(
    string Environment,
    string KeyPrefix,
    int DefaultValidityDays,
    int MaxValidityDays,
    IReadOnlyList<int> GraceHoursOptions,
    int DefaultGraceHours,
    int ExpiringThresholdDays,
    int MaxActiveKeys);

/// <summary>
/// The key policy's part of the public configuration, contributed by the module that owns keys (its own validated
/// settings, so nobody binds them twice); null while no module owns keys.
/// </summary>
public interface IKeyPolicyPublisher
{
    PublishedKeyPolicy? Published { get; }
}

/// <summary>No key policy: the default while no module contributes one.</summary>
public sealed class NoKeyPolicy : IKeyPolicyPublisher
{
    public PublishedKeyPolicy? Published => null;
}
