using System.Globalization;
using Idunox.Credentials.Contracts;
using Idunox.Credentials.Gateway;
using Idunox.Credentials.Keys.Handover;
using Idunox.Shared.Errors;
using Idunox.Shared.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Idunox.Credentials.Keys.Rotate;

/// <summary>
/// What every rotation shares, the partner's (<see cref="RotateKey"/>) and staff's (<see cref="HandOverKey"/>): the grace
/// choice, the rules for which key may rotate, the start of the old key's grace window, and the commit that tells
/// verification. Only active and expiring keys rotate, and a key whose own predecessor is still in grace does not: a
/// rotation chain never holds more than two usable keys, so rotation is no way around the key cap.
/// </summary>
internal sealed class KeyRotation(KeyStore store, ScopeCatalogue scopes)
{
    public ScopeCatalogue Scopes => scopes;

    public const string KeyNotRotatable = "key_not_rotatable";

    /// <summary>
    /// The head: checks the grace choice, takes the tenant's key lock, finds the key, refuses what may not rotate, and
    /// starts the old key's grace window. The caller adds the successor (or its offer) and ends with <see cref="CommitAsync"/>.
    /// </summary>
    public async Task<Outcome<StartedRotation>> StartAsync(Guid id, int? graceHours, KeyAccess? access, CancellationToken cancellationToken)
    {
        if (CheckGrace(graceHours) is { } invalid)
        {
            return invalid;
        }

        if (scopes.Check(access) is { IsValid: false } wrongScopes)
        {
            return UseCaseFailure.Invalid(wrongScopes);
        }

        var change = await store.BeginChangeAsync(cancellationToken);
        var now = store.Now;
        var previous = await change.FindAsync(id, cancellationToken);
        var refused = previous is null ? KeyFailures.NotFound : await RefusalAsync(previous, now, cancellationToken);
        if (refused is not null)
        {
            await change.DisposeAsync();
            return refused;
        }

        var grace = graceHours ?? KeyPolicyOptions.DefaultGraceHours;
        var graceEnds = now.AddHours(grace);
        previous!.GraceEndsAt = graceEnds < previous.ExpiresAt ? graceEnds : previous.ExpiresAt; // never past its own expiry
        store.Db.PendingGraceEnds.Add(new PendingGraceEnd { KeyId = previous.Id, GraceEndsAt = previous.GraceEndsAt.Value }); // for grace-sweep
        change.Changed(previous); // its grace end is news to verification
        var successorScopes = access is null ? previous.Scopes : KeyScopes.Stored(access);
        return Outcome<StartedRotation>.Ok(new StartedRotation(change, previous, grace, now, successorScopes));
    }

    /// <summary>The tail: saves and tells verification; of two rotations of one key at once, the second changes nothing.</summary>
    public async Task<UseCaseFailure?> CommitAsync(StartedRotation rotation, CancellationToken cancellationToken)
    {
        try
        {
            await rotation.Change.CommitAsync(cancellationToken);
            return null;
        }
        catch (DbUpdateException e) when (store.Db.IsUniqueViolation<ApiKey>(e, nameof(ApiKey.RotatedFromId)) ||
                                          store.Db.IsUniqueViolation<KeyHandover>(e, nameof(KeyHandover.PredecessorId)))
        {
            // Another rotation of this key won the unique successor index: this one changes nothing.
            return NotRotatable("This key was rotated a moment ago by someone else; its successor is in the key list.");
        }
    }

    /// <summary>The grace choice: 24, 48 or 72 hours (none given: 24).</summary>
    public static UseCaseFailure? CheckGrace(int? graceHours) =>
        graceHours is { } hours && !KeyPolicyOptions.GraceHoursOptions.Contains(hours)
            ? UseCaseFailure.Invalid(new ValidationErrors().Add("graceHours",
                $"The old key keeps working for {string.Join(", ", KeyPolicyOptions.GraceHoursOptions)} hours; choose one of these."))
            : null;

    /// <summary>Why <paramref name="previous"/> may not rotate now, or null.</summary>
    private async Task<UseCaseFailure?> RefusalAsync(ApiKey previous, DateTime now, CancellationToken cancellationToken)
    {
        if (!previous.StatusAt(now, store.Policy.ExpiringThresholdDays).IsRotatable())
        {
            return NotRotatable("Only active and expiring keys rotate. A key that was already rotated, revoked or has expired cannot be.");
        }

        if (previous.RotatedFromId is { } predecessorId &&
            await store.FindAsync(predecessorId, forChange: false, cancellationToken) is { } predecessor &&
            predecessor.StatusAt(now, store.Policy.ExpiringThresholdDays) == ApiKeyStatus.Grace)
        {
            return NotRotatable(
                $"This key replaced {predecessor.Prefix}{ApiKeyFormat.Ellipsis}, which keeps working until " +
                $"{predecessor.GraceEndsAt!.Value.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC. " +
                "Revoke that old key, or wait until its grace period ends, then rotate this one.");
        }

        return null;
    }

    private static UseCaseFailure NotRotatable(string detail) =>
        new(FailureKind.Conflict, KeyNotRotatable, "This key cannot be rotated.", detail);
}

/// <summary>A rotation under way: its key-change unit (holding the tenant's key lock), the old key in grace, the grace chosen.</summary>
internal sealed record StartedRotation(KeyChange Change, ApiKey Previous, int GraceHours, DateTime Now, string? SuccessorScopes) : IAsyncDisposable
{
    /// <summary>For the audit trail: "; scopes changed from … to …" when the successor may call other scopes, else nothing.</summary>
    public string ScopeChange => SuccessorScopes == Previous.Scopes ? ""
        : $"; scopes changed from {KeyScopes.Describe(Previous.Scopes)} to {KeyScopes.Describe(SuccessorScopes)}";

    public ValueTask DisposeAsync() => Change.DisposeAsync();
}
