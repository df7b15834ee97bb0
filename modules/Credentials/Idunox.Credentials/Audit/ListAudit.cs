using Idunox.Credentials.Persistence;
using Idunox.Shared.Errors;
using Idunox.Shared.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Idunox.Credentials.Audit;

/// <summary><c>GET /v1/partner/audit?page=1&amp;pageSize=50</c>: the organisation's key events, newest first.</summary>
internal sealed class ListAudit(CredentialsDbContext db)
{
    public const int MaxPageSize = 100;

    /// <summary>Offsets beyond this are refused: a deep OFFSET costs the database more than anyone reads.</summary>
    public const int MaxOffset = 10_000;

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapGet("/v1/partner/audit", Handle)
            .WithName("ListAuditEvents")
            .WithTags("API keys")
            .WithSummary("Your organisation's audit trail of key changes, newest first, a page at a time.")
            .ProducesProblems(StatusCodes.Status400BadRequest, ProblemCodes.ValidationFailed)
            .WithExamples(null, new
            {
                Items = new[]
                {
                    new AuditEventResponse(Guid.Parse("0193a1b2-7c4d-7e5f-8a9b-0c1d2e3f4a77"), new DateTime(2026, 11, 2, 9, 30, 0, DateTimeKind.Utc), "key.created",
                        new AuditActor("partner", Guid.Parse("0193a1b2-7c4d-7e5f-8a9b-0c1d2e3f4a11"), "it@partner.example"), "203.0.113.7",
                        new AuditKey(Guid.Parse("0193a1b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b"), "idx_live_Ab12Cd34…", "orders feed"), null),
                },
                Page = 1, PageSize = 50, Total = 1,
            })
            .RequireAuthorization(IdunoxAuthentication.PartnerPolicy);

    internal static async Task<Results<Ok<AuditPage>, ProblemHttpResult>> Handle(
        ListAudit listAudit, int? page, int? pageSize, CancellationToken cancellationToken)
    {
        var outcome = await listAudit.RunAsync(page, pageSize, cancellationToken);
        return outcome.Value is { } result ? TypedResults.Ok(result) : outcome.Failure!.ToProblem();
    }

    /// <summary>One page of the trail, for the API and the audit page alike.</summary>
    public async Task<Outcome<AuditPage>> RunAsync(int? page, int? pageSize, CancellationToken cancellationToken)
    {
        var number = page ?? 1;
        var size = pageSize ?? 50;
        var errors = Paging.Validate(number, size, MaxPageSize, MaxOffset, "events");
        if (!errors.IsValid)
        {
            return UseCaseFailure.Invalid(errors);
        }

        var total = await db.AuditEvents.CountAsync(cancellationToken);
        var items = await db.AuditEvents.AsNoTracking()
            .OrderByDescending(e => e.OccurredAt).ThenByDescending(e => e.Position).ThenByDescending(e => e.Id)
            .Skip((number - 1) * size).Take(size)
            .Select(e => new AuditEventResponse(e.Id, e.OccurredAt, e.Action,
                new AuditActor(e.ActorType, e.ActorId, e.ActorName), e.ClientAddress,
                new AuditKey(e.ApiKeyId, e.ApiKeyPrefix + Keys.ApiKeyFormat.Ellipsis, e.ApiKeyName), e.Detail))
            .ToListAsync(cancellationToken);
        return Outcome<AuditPage>.Ok(new AuditPage(items, number, size, total));
    }
}

internal sealed record AuditPage(IReadOnlyList<AuditEventResponse> Items, int Page, int PageSize, int Total);

internal sealed record AuditEventResponse(
    Guid Id, DateTime OccurredAt, string Action, AuditActor Actor, string? ClientAddress, AuditKey Key, string? Detail);

internal sealed record AuditActor(string Type, Guid? Id, string Name);

internal sealed record AuditKey(Guid Id, string Prefix, string Name);
