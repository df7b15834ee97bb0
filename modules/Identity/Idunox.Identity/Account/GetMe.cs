using Idunox.Identity.Persistence;
using Idunox.Shared;
using Idunox.Shared.Errors;
using Idunox.Shared.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Idunox.Identity.Account;

/// <summary><c>GET /v1/partner/me</c>: the signed-in user and their organisation.</summary>
internal sealed class GetMe(IdentityModuleDbContext db)
{
    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapGet("/v1/partner/me", Handle)
            .WithName("GetMe")
            .WithTags("Portal authentication")
            .WithSummary("The signed-in portal user and their organisation.")
            .WithExamples(null, new MeResponse(new MeUser(Guid.Parse("0193a1b2-7c4d-7e5f-8a9b-0c1d2e3f4a11"), "it@partner.example", "Acme IT"),
                new MeTenant(Guid.Parse("0193a1b2-7c4d-7e5f-8a9b-0c1d2e3f4a22"), "Acme Logistics", "acme-logistics")))
            .RequireAuthorization(IdunoxAuthentication.PartnerPolicy);

    internal static async Task<Results<Ok<MeResponse>, ProblemHttpResult>> Handle(
        HttpContext http, ITenantContext tenant, GetMe getMe, CancellationToken cancellationToken)
    {
        var userId = Guid.Parse(http.User.FindFirst(IdunoxClaimTypes.UserId)!.Value);
        var me = await getMe.RunAsync(userId, tenant.TenantId ?? Guid.Empty, cancellationToken);
        return me is null
            ? ApiProblems.Create(StatusCodes.Status401Unauthorized, "invalid_token", "The access token is not valid.")
            : TypedResults.Ok(me);
    }

    /// <summary>The signed-in user and organisation, for the API and the account page alike.</summary>
    public Task<MeResponse?> RunAsync(Guid userId, Guid tenantId, CancellationToken cancellationToken) =>
        db.PartnerUsers.AsNoTracking()
            .Where(u => u.Id == userId && u.TenantId == tenantId)
            .Join(db.Organisations, u => u.TenantId, o => o.Id, (u, o) => new MeResponse(
                new MeUser(u.Id, u.Email!, u.DisplayName),
                new MeTenant(o.Id, o.Name, o.Slug)))
            .FirstOrDefaultAsync(cancellationToken);
}

internal sealed record MeResponse(MeUser User, MeTenant Tenant);

internal sealed record MeUser(Guid Id, string Email, string DisplayName);

internal sealed record MeTenant(Guid Id, string Name, string Slug);
