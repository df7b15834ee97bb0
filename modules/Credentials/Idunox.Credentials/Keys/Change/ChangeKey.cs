using System.Globalization;
using System.Text.Json;
using Idunox.Credentials.Audit;
using Idunox.Credentials.Contracts;
using Idunox.Credentials.Gateway;
using Idunox.Credentials.Keys.Create;
using Idunox.Shared.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging;

namespace Idunox.Credentials.Keys.Change;

/// <summary>
/// Changing a key without rotating it: its name, what it may call, its expiry (later within the key's lifetime, or
/// earlier). The change is audited before → after, announced to every server like a revocation (a narrowed key is
/// narrowed everywhere from the next request), and the organisation's users are told when it widens the key's access.
/// Only a working key that is not in its grace window changes; changing nothing records nothing.
/// </summary>
internal sealed class ChangeKey(KeyStore store, ScopeCatalogue scopes, CredentialsMetrics metrics, ILogger<ChangeKey> logger)
{
    public const string KeyNotChangeable = "key_not_changeable";
    public const string ExpiresAtField = "expiresAt";

    /// <summary>The scopes a key can be restricted to, for the form.</summary>
    public ScopeCatalogue Scopes => scopes;

    /// <remarks><paramref name="note"/>: added to the audit trail's line (staff give their reason).</remarks>
    public async Task<Outcome<ApiKey>> RunAsync(Guid id, KeyPatch patch, Actor actor, string? clientAddress, CancellationToken cancellationToken,
        string? note = null)
    {
        var policy = store.Policy;
        var name = patch.Name?.Trim();
        var errors = (name is null ? new ValidationErrors() : KeyNames.Validate(name)).Merge(scopes.Check(patch.Access));
        var ip = patch.IpAllowList is { } list ? IpAllowLists.Parse(list.Mode, list.Entries, errors) : ((string?, string?)?)null;
        if (patch.RateLimit is { } rateLimit)
        {
            RateLimits.Check(rateLimit, errors);
        }
        if (!errors.IsValid)
        {
            return UseCaseFailure.Invalid(errors);
        }

        await using var change = await store.BeginChangeAsync(cancellationToken);
        if (await change.FindAsync(id, cancellationToken) is not { } key)
        {
            return KeyFailures.NotFound;
        }

        var now = store.Now;
        if (!key.StatusAt(now, policy.ExpiringThresholdDays).IsRotatable())
        {
            return new UseCaseFailure(FailureKind.Conflict, KeyNotChangeable, "This key cannot be changed.",
                "Only active and expiring keys change. A key in its grace window, revoked or expired keeps what it had; make or rotate a key instead.");
        }

        var latest = key.CreatedAt.AddDays(policy.MaxValidityDays);
        if (patch.ExpiresAt is { } expiresAt)
        {
            errors
                .When(expiresAt <= now, ExpiresAtField, "The new expiry must be in the future; to stop a key now, revoke it.")
                .When(expiresAt > latest, ExpiresAtField,
                    $"A key lives at most {policy.MaxValidityDays} days from when it was made: this one until {Text(latest)} UTC. To use it longer, rotate it.");
            if (!errors.IsValid)
            {
                return UseCaseFailure.Invalid(errors);
            }
        }

        var (changes, widens) = Describe(key, name, patch, out var newScopes);
        if (ip is var (ipMode, ipEntries) && (ipMode != key.IpAllowMode || ipEntries != key.IpAllowList))
        {
            changes.Add($"{IpAllowLists.Describe(key.IpAllowMode, key.IpAllowList)} → {IpAllowLists.Describe(ipMode, ipEntries)}");
            // Wider: it was enforced and no longer is, or an enforced list gained an entry.
            widens |= key.IpAllowMode == IpAllowLists.Enforce &&
                      (ipMode != IpAllowLists.Enforce || IpAllowLists.Entries(ipEntries).Except(IpAllowLists.Entries(key.IpAllowList)).Any());
            (key.IpAllowMode, key.IpAllowList) = (ipMode, ipEntries);
        }

        if (patch.RateLimit is { } limit && limit != key.RateLimit)
        {
            changes.Add($"rate limit {key.RateLimit} → {limit}");
            widens |= RateLimits.Widens(key.RateLimit, limit);
            key.RateLimit = limit;
        }

        if (changes.Count == 0)
        {
            return Outcome<ApiKey>.Ok(key); // the key already is what was asked: nothing to record
        }

        var previousExpiry = key.ExpiresAt;
        key.Name = name ?? key.Name;
        key.Scopes = newScopes;
        key.ExpiresAt = patch.ExpiresAt ?? key.ExpiresAt;
        var text = string.Join("; ", note is null ? changes : changes.Append(note));
        store.Audit(AuditActions.KeyChanged, key, now, actor, clientAddress, text.Length <= 500 ? text : text[..499] + "…");
        store.Db.Publish(new ApiKeyChanged(Guid.CreateVersion7(), key.TenantId, now, KeyStore.Reference(key), actor, text, widens, previousExpiry));
        change.Changed(key); // what verification holds of it is stale on every server from now
        await change.CommitAsync(cancellationToken);
        metrics.Changed("changed");
        logger.LogInformation("API key {KeyId} ({Prefix}) changed in tenant {TenantId} by {ActorType} {ActorId}: {Changes}",
            key.Id, key.Prefix, key.TenantId, actor.Type, actor.Id, text);
        return Outcome<ApiKey>.Ok(key);
    }

    /// <summary>What the patch changes, for people (before → after), and whether the key may now call more or for longer.</summary>
    private static (List<string> Changes, bool Widens) Describe(ApiKey key, string? name, KeyPatch patch, out string? newScopes)
    {
        var changes = new List<string>();
        var widens = false;
        if (name is not null && name != key.Name)
        {
            changes.Add($"name “{key.Name}” → “{name}”");
        }

        newScopes = patch.Access is { } access ? KeyScopes.Stored(access) : key.Scopes;
        if (newScopes != key.Scopes)
        {
            changes.Add($"{KeyScopes.Describe(key.Scopes)} → {KeyScopes.Describe(newScopes)}");
            widens |= newScopes is null || (key.ScopeList is { } before && newScopes.Split(' ').Except(before).Any());
        }

        if (patch.ExpiresAt is { } expiresAt && expiresAt != key.ExpiresAt)
        {
            changes.Add($"expiry {Text(key.ExpiresAt)} → {Text(expiresAt)} UTC");
            widens |= expiresAt > key.ExpiresAt;
        }

        return (changes, widens);
    }

    private static string Text(DateTime at) => at.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    /// <summary>
    /// <c>PATCH /v1/partner/credentials/{id}</c>: a JSON merge patch (RFC 7396) of <c>name</c>, <c>access</c>, <c>scopes</c>
    /// (an array, or null for full access), <c>expiresAt</c>, <c>ipAllowList</c> and <c>rateLimit</c> (null: none); a member
    /// left out stays as it is, an unknown member is a 400 naming it.
    /// </summary>
    internal static async Task<Results<Ok<CredentialEnvelope>, ProblemHttpResult>> Handle(
        string id, HttpContext http, ChangeKey changeKey, KeyStore store, CancellationToken ct)
    {
        var type = http.Request.ContentType?.Split(';')[0].Trim();
        if (type is not ("application/merge-patch+json" or "application/json"))
        {
            return ApiProblems.Create(StatusCodes.Status415UnsupportedMediaType, ProblemCodes.UnsupportedMediaType, "Send a JSON merge patch.",
                "The body is a JSON object of the members to change, sent as application/merge-patch+json (or application/json).");
        }

        JsonElement body;
        try
        {
            using var document = await JsonDocument.ParseAsync(http.Request.Body, default, ct);
            body = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return ApiProblems.Create(StatusCodes.Status400BadRequest, ProblemCodes.MalformedRequest, "The body is not JSON.",
                "Send a JSON object of the members to change, e.g. {\"name\": \"billing sync\"}.");
        }

        var parsed = KeyPatch.Parse(body);
        Outcome<ApiKey> outcome = parsed.Value is not { } patch ? parsed.Failure!
            : Guid.TryParse(id, out var keyId) ? await changeKey.RunAsync(keyId, patch, PartnerCaller.ActorOf(http), PartnerCaller.AddressOf(http), ct)
            : KeyFailures.NotFound;
        return outcome.Value is not { } key
            ? outcome.Failure!.ToProblem()
            : TypedResults.Ok(new CredentialEnvelope(CredentialResponse.From(key, store.Now, store.Policy.ExpiringThresholdDays)));
    }
}

/// <summary>
/// What a merge patch asks of a key: a new name, new access (<see cref="KeyAccess.Full"/> for <c>"scopes": null</c>), a
/// new expiry, a new allow-list, a new rate limit (<see cref="KeyRateLimit.None"/> for <c>"rateLimit": null</c>); null for each member left out.
/// </summary>
internal sealed record KeyPatch(string? Name, KeyAccess? Access, DateTime? ExpiresAt, IpAllowListRequest? IpAllowList = null, KeyRateLimit? RateLimit = null)
{
    public static readonly IReadOnlyList<string> Members =
        ["name", KeyAccess.AccessField, KeyAccess.ScopesField, ChangeKey.ExpiresAtField, IpAllowLists.Field, RateLimits.Field];

    public static Outcome<KeyPatch> Parse(JsonElement body)
    {
        var errors = new ValidationErrors();
        if (body.ValueKind != JsonValueKind.Object)
        {
            return UseCaseFailure.Invalid(errors.Add("body", "Send a JSON object of the members to change, e.g. {\"name\": \"billing sync\"}."));
        }

        string? name = null, accessText = null;
        List<string>? scopes = null;
        var fullByNull = false;
        DateTime? expiresAt = null;
        IpAllowListRequest? ipAllowList = null;
        KeyRateLimit? rateLimit = null;
        foreach (var member in body.EnumerateObject())
        {
            switch (member.Name)
            {
                case "name" when member.Value.ValueKind == JsonValueKind.String:
                    name = member.Value.GetString();
                    break;
                case "name":
                    errors.Add("name", "The name is a string.");
                    break;
                case KeyAccess.AccessField when member.Value.ValueKind == JsonValueKind.String:
                    accessText = member.Value.GetString();
                    break;
                case KeyAccess.AccessField:
                    errors.Add(KeyAccess.AccessField, $"Access is '{KeyAccess.FullName}' or '{KeyAccess.RestrictedName}'.");
                    break;
                case KeyAccess.ScopesField when member.Value.ValueKind == JsonValueKind.Null:
                    fullByNull = true; // RFC 7396: removing the restriction
                    break;
                case KeyAccess.ScopesField when member.Value.ValueKind == JsonValueKind.Array && member.Value.GetArrayLength() <= 100 &&
                                                member.Value.EnumerateArray().All(s => s.ValueKind == JsonValueKind.String):
                    scopes = [.. member.Value.EnumerateArray().Select(s => s.GetString()!)];
                    break;
                case KeyAccess.ScopesField:
                    errors.Add(KeyAccess.ScopesField, "Scopes are an array of at most 100 strings, or null for full access.");
                    break;
                case ChangeKey.ExpiresAtField when member.Value.ValueKind == JsonValueKind.String &&
                                                   member.Value.TryGetDateTimeOffset(out var at):
                    expiresAt = at.UtcDateTime;
                    break;
                case ChangeKey.ExpiresAtField:
                    errors.Add(ChangeKey.ExpiresAtField, "The expiry is a date and time with its offset, e.g. \"2027-06-01T00:00:00Z\".");
                    break;
                case IpAllowLists.Field when member.Value.ValueKind == JsonValueKind.Null:
                    ipAllowList = new IpAllowListRequest(IpAllowLists.Off);
                    break;
                case IpAllowLists.Field when member.Value.ValueKind == JsonValueKind.Object && IpList(member.Value) is { } list:
                    ipAllowList = list;
                    break;
                case IpAllowLists.Field:
                    errors.Add(IpAllowLists.Field, "The allow-list is an object {\"mode\": \"off\" | \"report\" | \"enforce\", \"entries\": [addresses and ranges]}, or null for off.");
                    break;
                case RateLimits.Field:
                    rateLimit = RateLimits.FromJson(member.Value, errors);
                    break;
                default:
                    errors.Add(member.Name.Length <= 64 ? member.Name : member.Name[..64],
                        $"A key has no member to change by this name; the members are {string.Join(", ", Members)}.");
                    break;
            }
        }

        var access = fullByNull
            ? accessText is null or KeyAccess.FullName ? KeyAccess.Full
                : KeyAccess.Parse(KeyAccess.RestrictedName, null, errors)
            : KeyAccess.Parse(accessText, scopes, errors);
        return errors.IsValid ? Outcome<KeyPatch>.Ok(new KeyPatch(name, access, expiresAt, ipAllowList, rateLimit)) : UseCaseFailure.Invalid(errors);
    }

    /// <summary>The allow-list object, replaced as a whole: a string mode and an array of strings (at most 100 read), or null when it is not.</summary>
    private static IpAllowListRequest? IpList(JsonElement value)
    {
        string? mode = null;
        List<string>? entries = null;
        foreach (var member in value.EnumerateObject())
        {
            switch (member.Name)
            {
                case "mode" when member.Value.ValueKind == JsonValueKind.String:
                    mode = member.Value.GetString();
                    break;
                case "entries" when member.Value.ValueKind == JsonValueKind.Array && member.Value.GetArrayLength() <= 100 &&
                                    member.Value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String):
                    entries = [.. member.Value.EnumerateArray().Select(e => e.GetString()!)];
                    break;
                default:
                    return null;
            }
        }

        return mode is null ? null : new IpAllowListRequest(mode, entries);
    }
}

/// <summary>
/// The documented shape of <c>PATCH /v1/partner/credentials/{id}</c>: every member optional; <c>access: "full"</c> (or, as
/// RFC 7396 has it, <c>scopes: null</c>) gives full access, <c>scopes</c> restricts the key to them; <c>ipAllowList</c> and
/// <c>rateLimit</c> are replaced as a whole (null: off, no limit).
/// </summary>
internal sealed record CredentialPatchRequest(
    [property: System.ComponentModel.DataAnnotations.StringLength(ApiKey.MaxNameLength, MinimumLength = 1)] string? Name = null,
    [property: System.ComponentModel.DataAnnotations.AllowedValues(KeyScopes.Full, KeyScopes.Restricted, null)] string? Access = null,
    [property: System.ComponentModel.DataAnnotations.MaxLength(100)] IReadOnlyList<string>? Scopes = null,
    DateTime? ExpiresAt = null,
    IpAllowListRequest? IpAllowList = null,
    Contracts.KeyRateLimit? RateLimit = null) : IApiRequest;
