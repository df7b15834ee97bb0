namespace Idunox.Credentials.Contracts;

/// <summary>Read-only questions other modules ask about keys, across tenants (for jobs).</summary>
public interface ICredentialDirectory
{
    /// <summary>
    /// Keys that still work at <paramref name="now"/> and expire within <paramref name="within"/>: not revoked and not
    /// replaced by a rotation (a rotated key ends with its grace, and its successor carries on).
    /// </summary>
    Task<IReadOnlyList<ExpiringKey>> ListExpiringAsync(DateTime now, TimeSpan within, CancellationToken cancellationToken);

    /// <summary>Per organisation: keys that work at <paramref name="now"/>, and how many of them expire within <paramref name="within"/>.</summary>
    Task<IReadOnlyDictionary<Guid, TenantKeySummary>> SummariseByTenantAsync(DateTime now, TimeSpan within, CancellationToken cancellationToken);
}

public sealed record TenantKeySummary(int Usable, int ExpiringSoon);

public sealed record ExpiringKey(Guid TenantId, KeyReference Key);
