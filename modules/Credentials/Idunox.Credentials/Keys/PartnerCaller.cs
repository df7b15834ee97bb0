using Idunox.Credentials.Contracts;
using Idunox.Shared;
using Microsoft.AspNetCore.Http;

namespace Idunox.Credentials.Keys;

/// <summary>Who is calling, for the audit trail: the signed-in partner user (API and pages alike) and the address they call from.</summary>
internal static class PartnerCaller
{
    public static Actor ActorOf(HttpContext http) => new(
        Actor.Partner,
        Guid.TryParse(http.User.FindFirst(IdunoxClaimTypes.UserId)?.Value, out var id) ? id : null,
        http.User.FindFirst(IdunoxClaimTypes.Email)?.Value ?? "unknown");

    public static string? AddressOf(HttpContext http) => http.Connection.RemoteIpAddress?.ToString();
}
