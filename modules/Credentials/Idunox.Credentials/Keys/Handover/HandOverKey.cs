using Idunox.Credentials.Audit;
using Idunox.Credentials.Contracts;
using Idunox.Credentials.Keys.Rotate;
using Idunox.Shared.Errors;
using Idunox.Shared.Persistence;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Idunox.Credentials.Keys.Handover;

/// <summary>
/// Keys Idunox staff make for an organisation, which staff never see. Staff rotate a key on the organisation's behalf:
/// the old key's grace window starts as in any rotation, and its successor is offered (a <see cref="KeyHandover"/>, no
/// secret). One of the organisation's users collects it: only then is the key generated, its plaintext answered once,
/// to that user, and it starts working. The organisation's users are told by e-mail; the offer lapses after
/// <see cref="KeyHandover.CollectWithin"/>.
/// </summary>
internal sealed class HandOverKey(KeyStore store, KeyRotation rotation, CredentialsMetrics metrics, ILogger<HandOverKey> logger)
{
    public const string HandoverNotFound = "handover_not_found";
    public const string KeyAlreadyCollected = "key_already_collected";

    private static readonly UseCaseFailure NotFound = new(FailureKind.NotFound, HandoverNotFound, "No such key to collect.",
        "Your organisation has no key from Idunox staff with this id, or its offer lapsed. Create or rotate a key yourself instead.");

    /// <summary>Staff rotate <paramref name="id"/>: its grace starts now, and its successor waits to be collected.</summary>
    public async Task<Outcome<OfferedKey>> RotateAsync(Guid id, int? graceHours, KeyAccess? access, Actor actor, string? clientAddress, string reason,
        CancellationToken cancellationToken)
    {
        var started = await rotation.StartAsync(id, graceHours, access, cancellationToken);
        if (started.Value is not { } rotating)
        {
            return started.Failure!;
        }

        await using var _ = rotating;
        var (previous, now) = (rotating.Previous, rotating.Now);
        var offer = new KeyHandover
        {
            Id = Guid.CreateVersion7(),
            TenantId = previous.TenantId,
            Name = previous.Name,
            PredecessorId = previous.Id,
            ValidityDays = store.Policy.DefaultValidityDays,
            Scopes = rotating.SuccessorScopes,
            IpAllowMode = previous.IpAllowMode,
            IpAllowList = previous.IpAllowList,
            RateLimitPerSecond = previous.RateLimitPerSecond,
            RateLimitPerMinute = previous.RateLimitPerMinute,
            OfferedAt = now,
            OfferedByStaffId = actor.Id,
            Reason = reason,
            CollectBy = now + KeyHandover.CollectWithin,
        };
        store.Db.KeyHandovers.Add(offer);
        store.Audit(AuditActions.KeyRotated, previous, now, actor, clientAddress,
            $"grace {rotating.GraceHours}h until {previous.GraceEndsAt:yyyy-MM-dd HH:mm} UTC; the new key waits for your organisation to collect it{rotating.ScopeChange}; reason: {reason}");
        store.Db.Publish(new ApiKeyHandoverOffered(Guid.CreateVersion7(), previous.TenantId, now, offer.Id, KeyStore.Reference(previous),
            previous.GraceEndsAt!.Value, offer.CollectBy, reason, actor));
        if (await rotation.CommitAsync(rotating, cancellationToken) is { } lost)
        {
            return lost;
        }

        metrics.Changed("rotated");
        logger.LogInformation("API key {KeyId} ({Prefix}) rotated by staff in tenant {TenantId}, grace until {GraceEndsAt}; successor offered as {HandoverId}",
            previous.Id, previous.Prefix, previous.TenantId, previous.GraceEndsAt, offer.Id);
        return Outcome<OfferedKey>.Ok(new OfferedKey(offer, previous));
    }

    /// <summary>The keys staff made for the current organisation that can still be collected, oldest first.</summary>
    public async Task<IReadOnlyList<OpenHandover>> ListOpenAsync(CancellationToken cancellationToken)
    {
        var now = store.Now;
        var keys = store.Db.ApiKeys.AsNoTracking();
        var rows = await store.Db.KeyHandovers.AsNoTracking()
            .Where(h => h.CollectedAt == null && h.CollectBy > now)
            .OrderBy(h => h.OfferedAt)
            .Select(h => new { Offer = h, Previous = keys.FirstOrDefault(k => k.Id == h.PredecessorId) })
            .ToListAsync(cancellationToken);
        return [.. rows.Select(r => new OpenHandover(r.Offer, r.Previous))];
    }

    /// <summary>
    /// A user collects a key staff made: the key is generated now and works from now; its plaintext is in the answer,
    /// once. Of two users collecting at once, one gets the key and the other is told who did.
    /// </summary>
    public async Task<Outcome<IssuedKey>> CollectAsync(Guid handoverId, Actor actor, string? clientAddress, CancellationToken cancellationToken)
    {
        await using var change = await store.BeginChangeAsync(cancellationToken);
        var now = store.Now;
        var offer = await store.Db.KeyHandovers.FirstOrDefaultAsync(h => h.Id == handoverId, cancellationToken);
        if (offer is null || (offer.CollectedAt is null && offer.CollectBy <= now))
        {
            return NotFound;
        }

        if (offer.CollectedAt is { } collectedAt)
        {
            return AlreadyCollected(offer.CollectedBy, collectedAt);
        }

        var previous = offer.PredecessorId is { } predecessorId
            ? await change.FindAsync(predecessorId, cancellationToken)
            : null;
        var (key, plaintext) = store.NewKey(offer.Name, now, offer.ValidityDays, new Actor(Actor.Staff, offer.OfferedByStaffId, TenantKeyAdministration.StaffActorName),
            rotatedFrom: previous?.Id, offer.Scopes);
        (key.IpAllowMode, key.IpAllowList) = (offer.IpAllowMode, offer.IpAllowList);
        (key.RateLimitPerSecond, key.RateLimitPerMinute) = (offer.RateLimitPerSecond, offer.RateLimitPerMinute);
        store.Db.ApiKeys.Add(key);
        if (previous is not null)
        {
            previous.ReplacedById = key.Id;
        }

        offer.CollectedAt = now;
        offer.CollectedBy = actor.Name;
        offer.KeyId = key.Id;
        store.Audit(AuditActions.KeyCreated, key, now, actor, clientAddress,
            previous is null ? "collected; made by Idunox staff" : $"collected; made by Idunox staff as the successor of {previous.Prefix}{ApiKeyFormat.Ellipsis}");
        store.Db.Publish(new ApiKeyCreated(Guid.CreateVersion7(), key.TenantId, now, KeyStore.Reference(key), actor));
        try
        {
            // The row itself says "collected" only once (besides the tenant lock on PostgreSQL and SQLite's write lock):
            // whatever else serialises collections, a second one finds it taken.
            var claimed = await store.Db.KeyHandovers.Where(h => h.Id == offer.Id && h.CollectedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(h => h.CollectedAt, now), cancellationToken);
            if (claimed != 1)
            {
                store.Db.ChangeTracker.Clear(); // the key, audit row and event of this attempt are not saved by anyone later
                return AlreadyCollected(null, now);
            }

            await change.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (store.Db.IsUniqueViolation<ApiKey>(e, nameof(ApiKey.RotatedFromId)))
        {
            store.Db.ChangeTracker.Clear();
            return AlreadyCollected(null, now);
        }

        metrics.Changed("created");
        logger.LogInformation("API key {KeyId} ({Prefix}) collected from hand-over {HandoverId} in tenant {TenantId} by {ActorType} {ActorId}",
            key.Id, key.Prefix, offer.Id, key.TenantId, actor.Type, actor.Id);
        return Outcome<IssuedKey>.Ok(new IssuedKey(key, plaintext));
    }

    private static UseCaseFailure AlreadyCollected(string? by, DateTime at) => new(FailureKind.Conflict, KeyAlreadyCollected, "This key was already collected.",
        by is null
            ? "Someone in your organisation collected it a moment ago; its secret was shown to them once. Find the key in your list."
            : $"{by} collected it on {at:yyyy-MM-dd HH:mm} UTC; its secret was shown to them once. Find the key in your list.");

    /// <summary><c>GET /v1/partner/credentials/handovers</c>.</summary>
    internal static async Task<Ok<HandoverList>> HandleList(HandOverKey handOver, KeyStore store, CancellationToken ct)
    {
        var open = await handOver.ListOpenAsync(ct);
        return TypedResults.Ok(new HandoverList([.. open.Select(o => HandoverResponse.From(o))]));
    }

    /// <summary><c>POST /v1/partner/credentials/handovers/{id}/collect</c>.</summary>
    internal static async Task<Results<Created<CreatedCredentialResponse>, ProblemHttpResult>> HandleCollect(
        string id, HttpContext http, HandOverKey handOver, KeyStore store, CancellationToken ct)
    {
        var outcome = Guid.TryParse(id, out var handoverId)
            ? await handOver.CollectAsync(handoverId, PartnerCaller.ActorOf(http), PartnerCaller.AddressOf(http), ct)
            : NotFound;
        if (outcome.Value is not { } issued)
        {
            return outcome.Failure!.ToProblem();
        }

        return TypedResults.Created($"/v1/partner/credentials/{issued.Key.Id}",
            new CreatedCredentialResponse(issued.Plaintext, CredentialResponse.From(issued.Key, store.Now, store.Policy.ExpiringThresholdDays)));
    }
}

/// <summary>A staff rotation: the offer of the successor and the key it replaces.</summary>
internal sealed record OfferedKey(KeyHandover Offer, ApiKey Previous);

/// <summary>A key staff made, still to collect, and the key it replaces (if that is still there).</summary>
internal sealed record OpenHandover(KeyHandover Offer, ApiKey? Previous);

/// <summary>The answer of <c>GET /v1/partner/credentials/handovers</c>.</summary>
internal sealed record HandoverList(IReadOnlyList<HandoverResponse> Items);

/// <summary>
/// A key Idunox staff made for your organisation: its name, the key it replaces and until when that one works, why, and
/// until when it can be collected. It has no secret until it is collected.
/// </summary>
internal sealed record HandoverResponse(
    Guid Id, string Name, Guid? ReplacesId, string? ReplacesPrefix, DateTime? ReplacedKeyWorksUntil, DateTime OfferedAt, DateTime CollectBy, string Reason)
{
    public static HandoverResponse From(OpenHandover open) => new(open.Offer.Id, open.Offer.Name, open.Previous?.Id,
        open.Previous is null ? null : open.Previous.Prefix + ApiKeyFormat.Ellipsis, open.Previous?.GraceEndsAt, open.Offer.OfferedAt, open.Offer.CollectBy,
        open.Offer.Reason);
}
