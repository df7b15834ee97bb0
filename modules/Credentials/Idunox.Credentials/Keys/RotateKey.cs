using System.Globalization;
using Idunox.Credentials.Audit;
using Idunox.Credentials.Contracts;
using Idunox.Credentials.Verification;
using Idunox.Shared.Errors;
using Idunox.Shared.Persistence;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Idunox.Credentials.Keys;

/// <summary>
/// Rotating a key: a successor with a fresh validity, while the old key keeps working for 24, 48 or 72 hours (never
/// past its own expiry). Only active and expiring keys rotate, and a key whose own predecessor is still in grace does
/// not: a rotation chain never holds more than two usable keys, so rotation is no way around the key cap.
/// </summary>
internal sealed class RotateKey(KeyStore store, KeyVerificationCache cache, CredentialsMetrics metrics, ILogger<RotateKey> logger)
{
    public const string KeyNotRotatable = "key_not_rotatable";

    public async Task<Outcome<RotatedKey>> RunAsync(Guid id, int? graceHours, Actor actor, string? clientAddress, string? reason,
        CancellationToken cancellationToken)
    {
        if (CheckGrace(graceHours) is { } invalid)
        {
            return invalid;
        }

        var grace = graceHours ?? KeyPolicyOptions.DefaultGraceHours;

        await using var transaction = await store.BeginTenantTransactionAsync(cancellationToken);
        var now = store.Now;
        var previous = await store.Db.ApiKeys.FirstOrDefaultAsync(k => k.Id == id, cancellationToken);
        if (previous is null)
        {
            return KeyFailures.NotFound;
        }

        if (await RefusalAsync(store, previous, now, cancellationToken) is { } refused)
        {
            return refused;
        }

        var (successor, plaintext) = store.NewKey(previous.Name, now, store.Policy.DefaultValidityDays, actor, rotatedFrom: previous.Id);
        StartGrace(store, previous, now, grace);
        previous.ReplacedById = successor.Id;
        store.Db.ApiKeys.Add(successor);
        var detail = $"grace {grace}h until {previous.GraceEndsAt:yyyy-MM-dd HH:mm} UTC, successor {successor.Prefix}{ApiKeyFormat.Ellipsis}";
        store.Audit(AuditActions.KeyRotated, previous, now, actor, clientAddress, reason is null ? detail : $"{detail}; reason: {reason}");
        store.Audit(AuditActions.KeyCreated, successor, now, actor, clientAddress, $"successor of {previous.Prefix}{ApiKeyFormat.Ellipsis}", position: 1);
        store.Db.Publish(new ApiKeyRotated(Guid.CreateVersion7(), previous.TenantId, now, KeyStore.Reference(previous), KeyStore.Reference(successor),
            previous.GraceEndsAt!.Value, actor));
        try
        {
            await store.Db.SaveChangesAsync(cancellationToken);
            await VerificationSignal.NotifyAsync(store.Db, VerificationSignal.ForKey(previous.Id), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            cache.EvictKey(previous.Id); // its grace end is news to verification
        }
        catch (DbUpdateException e) when (store.Db.IsUniqueViolation<ApiKey>(e, nameof(ApiKey.RotatedFromId)))
        {
            // Another rotation of this key won the unique successor index: this one changes nothing.
            return NotRotatable("This key was rotated a moment ago by someone else; its successor is in the key list.");
        }

        metrics.Changed("rotated");
        logger.LogInformation("API key {KeyId} ({Prefix}) rotated to {SuccessorId} in tenant {TenantId}, grace until {GraceEndsAt}",
            previous.Id, previous.Prefix, successor.Id, previous.TenantId, previous.GraceEndsAt);
        return Outcome<RotatedKey>.Ok(new RotatedKey(new IssuedKey(successor, plaintext), previous));
    }

    /// <summary>
    /// Why <paramref name="previous"/> may not rotate now, or null: only active and expiring keys rotate, and not while
    /// their own predecessor is still in grace.
    /// </summary>
    internal static async Task<UseCaseFailure?> RefusalAsync(KeyStore store, ApiKey previous, DateTime now, CancellationToken cancellationToken)
    {
        if (!previous.StatusAt(now, store.Policy.ExpiringThresholdDays).IsRotatable())
        {
            return NotRotatable("Only active and expiring keys rotate. A key that was already rotated, revoked or has expired cannot be.");
        }

        if (previous.RotatedFromId is { } predecessorId &&
            await store.Db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Id == predecessorId, cancellationToken) is { } predecessor &&
            predecessor.StatusAt(now, store.Policy.ExpiringThresholdDays) == ApiKeyStatus.Grace)
        {
            return NotRotatable(
                $"This key replaced {predecessor.Prefix}{ApiKeyFormat.Ellipsis}, which keeps working until " +
                $"{predecessor.GraceEndsAt!.Value.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC. " +
                "Revoke that old key, or wait until its grace period ends, then rotate this one.");
        }

        return null;
    }

    /// <summary>The old key's grace window: it keeps working for <paramref name="graceHours"/> (never past its expiry), and grace-sweep records its end.</summary>
    internal static void StartGrace(KeyStore store, ApiKey previous, DateTime now, int graceHours)
    {
        var graceEnds = now.AddHours(graceHours);
        previous.GraceEndsAt = graceEnds < previous.ExpiresAt ? graceEnds : previous.ExpiresAt;
        store.Db.PendingGraceEnds.Add(new PendingGraceEnd { KeyId = previous.Id, GraceEndsAt = previous.GraceEndsAt.Value }); // for grace-sweep
    }

    /// <summary>The grace choice: 24, 48 or 72 hours (none given: 24).</summary>
    public static UseCaseFailure? CheckGrace(int? graceHours) =>
        graceHours is { } hours && !KeyPolicyOptions.GraceHoursOptions.Contains(hours)
            ? UseCaseFailure.Invalid(new ValidationErrors().Add("graceHours",
                $"The old key keeps working for {string.Join(", ", KeyPolicyOptions.GraceHoursOptions)} hours; choose one of these."))
            : null;

    internal static UseCaseFailure NotRotatable(string detail) =>
        new(FailureKind.Conflict, KeyNotRotatable, "This key cannot be rotated.", detail);

    /// <summary><c>POST /v1/partner/credentials/{id}/rotate</c>.</summary>
    internal static async Task<Results<Created<RotatedCredentialResponse>, ProblemHttpResult>> Handle(
        string id, RotateCredentialRequest? request, HttpContext http, RotateKey rotateKey, KeyStore store, CancellationToken ct)
    {
        var grace = request?.GraceHours;
        var outcome = Guid.TryParse(id, out var keyId)
            ? await rotateKey.RunAsync(keyId, grace, KeyEndpoints.ActorOf(http), KeyEndpoints.ClientAddress(http), reason: null, ct)
            : CheckGrace(grace) ?? KeyFailures.NotFound; // a wrong grace is a 400 for any id
        if (outcome.Value is not { } rotated)
        {
            return outcome.Failure!.ToProblem();
        }

        var now = store.Now;
        var threshold = store.Policy.ExpiringThresholdDays;
        return TypedResults.Created($"/v1/partner/credentials/{rotated.Successor.Key.Id}", new RotatedCredentialResponse(
            rotated.Successor.Plaintext,
            CredentialResponse.From(rotated.Successor.Key, now, threshold),
            CredentialResponse.From(rotated.Previous, now, threshold)));
    }
}

internal sealed record RotatedKey(IssuedKey Successor, ApiKey Previous);

/// <summary>The body of POST …/rotate (optional): how long the old key keeps working, 24 (default), 48 or 72 hours.</summary>
internal sealed record RotateCredentialRequest([property: System.ComponentModel.DataAnnotations.AllowedValues(24, 48, 72)] int? GraceHours = null) : IApiRequest;
