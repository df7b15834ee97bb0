namespace Idunox.Credentials.Keys;

/// <summary>
/// A rotated key whose end of grace the grace sweep has still to record: written in the rotation's transaction, taken
/// (deleted) by the sweep's claim. A work list of its own, so that recording rewrites nothing in <c>api_keys</c> (every
/// verification reads that table; marking its rows gave each swept key a new row version in all of its indexes).
/// Verification never looks here: a key is refused from the instant its grace ends, recorded or not.
/// </summary>
internal sealed class PendingGraceEnd
{
    public Guid KeyId { get; init; }

    /// <summary>The key's <see cref="ApiKey.GraceEndsAt"/>: when its end becomes due.</summary>
    public DateTime GraceEndsAt { get; init; }
}
