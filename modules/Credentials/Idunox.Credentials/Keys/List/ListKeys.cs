using System.Linq.Expressions;
using Idunox.Shared.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Idunox.Credentials.Keys.List;

/// <summary>
/// The organisation's keys, newest first, a page at a time: by default those that work and those that stopped in the
/// last 30 days; a status filter and a search by name or prefix narrow it.
/// </summary>
internal sealed class ListKeys(KeyStore store)
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 100;

    /// <summary>Offsets beyond this are refused: deep pages cost the database more than anyone reads. Filter instead.</summary>
    public const int MaxOffset = 10_000;

    public const int RecentlyEndedDays = 30;

    public static readonly IReadOnlyList<string> StatusNames = ["active", "expiring", "grace", "revoked", "expired"];

    public async Task<Outcome<KeyPage>> RunAsync(KeyListQuery query, CancellationToken cancellationToken)
    {
        var page = query.Page ?? 1;
        var size = query.PageSize ?? DefaultPageSize;
        var errors = Paging.Validate(page, size, MaxPageSize, MaxOffset, "keys");
        var statuses = ParseStatuses(query.Status, errors);
        var search = query.Search?.Trim();
        errors.When(search is { Length: > ApiKey.MaxNameLength }, "q", $"Search for at most {ApiKey.MaxNameLength} characters.");
        if (!errors.IsValid)
        {
            return UseCaseFailure.Invalid(errors);
        }

        var now = store.Now;
        var keys = store.Db.ApiKeys.AsNoTracking().Where(Filter(statuses, now, store.Policy.ExpiringThresholdDays));
        if (!string.IsNullOrEmpty(search))
        {
            var lower = search.ToLowerInvariant();
            // The prefix is shown with an ellipsis; a pasted "idx_test_Ab12Cd34…" finds its key.
            var prefix = search.TrimEnd('…', '.');
            keys = keys.Where(k => k.Name.ToLower().Contains(lower) || k.Prefix.StartsWith(prefix));
        }

        var total = await keys.CountAsync(cancellationToken);
        var items = await keys.OrderByDescending(k => k.CreatedAt).ThenByDescending(k => k.Id)
            .Skip((page - 1) * size).Take(size).ToListAsync(cancellationToken);
        return Outcome<KeyPage>.Ok(new KeyPage(items, page, size, total, now));
    }

    /// <summary><c>GET /v1/partner/credentials?status=&amp;q=&amp;page=&amp;pageSize=</c>.</summary>
    internal static async Task<Results<Ok<CredentialListResponse>, ProblemHttpResult>> Handle(
        string? status, string? q, int? page, int? pageSize, ListKeys listKeys, KeyStore store, CancellationToken ct)
    {
        var outcome = await listKeys.RunAsync(new KeyListQuery(status, q, page, pageSize), ct);
        if (outcome.Value is not { } result)
        {
            return outcome.Failure!.ToProblem();
        }

        var threshold = store.Policy.ExpiringThresholdDays;
        return TypedResults.Ok(new CredentialListResponse(
            result.Items.Select(k => CredentialResponse.From(k, result.Now, threshold)).ToList(), result.Page, result.PageSize, result.Total));
    }

    /// <summary>Null for the default (working and recently ended); otherwise the statuses asked for.</summary>
    private static HashSet<ApiKeyStatus>? ParseStatuses(string? text, ValidationErrors errors)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (text.Trim() == "all")
        {
            return [.. Enum.GetValues<ApiKeyStatus>()];
        }

        var statuses = new HashSet<ApiKeyStatus>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var index = StatusNames.ToList().IndexOf(part);
            if (index < 0)
            {
                errors.Add("status", $"Statuses are {string.Join(", ", StatusNames)} or all, separated by commas.");
                return null;
            }

            statuses.Add(Enum.Parse<ApiKeyStatus>(part, ignoreCase: true));
        }

        return statuses;
    }

    /// <summary>The status rules of <see cref="ApiKeyStatusRules.StatusAt"/>, as a query the database can answer.</summary>
    private static Expression<Func<ApiKey, bool>> Filter(HashSet<ApiKeyStatus>? statuses, DateTime now, int expiringThresholdDays)
    {
        var expiringFrom = now.AddDays(expiringThresholdDays);
        if (statuses is null)
        {
            var endedAfter = now.AddDays(-RecentlyEndedDays);
            return k => (k.RevokedAt == null && k.ExpiresAt > now && (k.GraceEndsAt == null || k.GraceEndsAt > now)) ||
                        k.RevokedAt > endedAfter ||
                        (k.RevokedAt == null && ((k.ExpiresAt <= now && k.ExpiresAt > endedAfter) || (k.GraceEndsAt <= now && k.GraceEndsAt > endedAfter)));
        }

        var active = statuses.Contains(ApiKeyStatus.Active);
        var expiring = statuses.Contains(ApiKeyStatus.Expiring);
        var grace = statuses.Contains(ApiKeyStatus.Grace);
        var revoked = statuses.Contains(ApiKeyStatus.Revoked);
        var expired = statuses.Contains(ApiKeyStatus.Expired);
        return k =>
            (revoked && k.RevokedAt != null) ||
            (expired && k.RevokedAt == null && (k.ExpiresAt <= now || k.GraceEndsAt <= now)) ||
            (grace && k.RevokedAt == null && k.ExpiresAt > now && k.GraceEndsAt > now) ||
            (expiring && k.RevokedAt == null && k.GraceEndsAt == null && k.ExpiresAt > now && k.ExpiresAt <= expiringFrom) ||
            (active && k.RevokedAt == null && k.GraceEndsAt == null && k.ExpiresAt > expiringFrom);
    }
}

internal sealed record KeyListQuery(string? Status, string? Search, int? Page, int? PageSize);

internal sealed record KeyPage(IReadOnlyList<ApiKey> Items, int Page, int PageSize, int Total, DateTime Now);
