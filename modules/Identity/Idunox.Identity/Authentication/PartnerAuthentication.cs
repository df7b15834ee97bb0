using Idunox.Identity.Contracts;
using Idunox.Identity.Persistence;
using Idunox.Shared;
using Idunox.Shared.Errors;
using Idunox.Shared.MultiTenancy;
using Idunox.Shared.Security;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace Idunox.Identity.Authentication;

/// <summary>
/// The portal's bearer scheme. Beyond signature, issuer, audience, algorithm (HS256 only) and lifetime (by the host's
/// clock), every request checks the token's security stamp against the user's: changing the password, disabling the
/// user (which renews the stamp) or suspending the organisation ends every token already issued.
/// </summary>
internal static class PartnerAuthentication
{
    public static void AddPartnerAuthentication(this IHostApplicationBuilder builder, JwtSettings settings)
    {
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton<PartnerTokens>();
        builder.Services.AddClaimTenantStrategy(IdunoxAuthentication.PartnerScheme, TenantSources.Jwt);
        builder.Services.AddAuthentication().AddJwtBearer(IdunoxAuthentication.PartnerScheme);
        // The handler logs an exception thrown while validating (the user lookup meeting a database outage, say) at
        // Error and rethrows it; the host's exception handler reports it once (a 503 outage: one warning per outage).
        builder.Logging.AddFilter(typeof(JwtBearerHandler).FullName, LogLevel.Critical);
        builder.Services.AddOptions<JwtBearerOptions>(IdunoxAuthentication.PartnerScheme).Configure<TimeProvider>((o, clock) =>
        {
            o.MapInboundClaims = false;
            o.RequireHttpsMetadata = false;
            o.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = settings.Issuer,
                ValidAudience = settings.Audience,
                IssuerSigningKeys = settings.ValidationKeys,
                ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                RequireSignedTokens = true,
                RequireExpirationTime = true,
                ValidateIssuer = true,
                ValidateAudience = true,
                ValidateIssuerSigningKey = true,
                ValidateLifetime = true,
                // Lifetime by the host's clock (tests move it), with no skew: issuer and validator are one process.
                LifetimeValidator = (notBefore, expires, _, _) =>
                {
                    var now = clock.GetUtcNow().UtcDateTime;
                    return expires is { } e && e > now && (notBefore is not { } nb || nb <= now);
                },
                AuthenticationType = IdunoxAuthentication.PartnerScheme,
                NameClaimType = IdunoxClaimTypes.Email,
            };
            o.Events = new JwtBearerEvents
            {
                OnTokenValidated = ValidateAgainstTheUserAsync,
                OnChallenge = WriteChallengeAsync,
            };
        });
        builder.Services.AddAuthorizationBuilder().AddPolicy(IdunoxAuthentication.PartnerPolicy, p => p
            .AddAuthenticationSchemes(IdunoxAuthentication.PartnerScheme)
            .RequireAuthenticatedUser()
            .RequireClaim(IdunoxClaimTypes.Tenant));
    }

    private static async Task ValidateAgainstTheUserAsync(TokenValidatedContext context)
    {
        var principal = context.Principal;
        if (!Guid.TryParse(principal?.FindFirst(IdunoxClaimTypes.UserId)?.Value, out var userId) ||
            !Guid.TryParse(principal.FindFirst(IdunoxClaimTypes.Tenant)?.Value, out var tenantId))
        {
            context.Fail("The token lacks its user or tenant.");
            return;
        }

        var db = context.HttpContext.RequestServices.GetRequiredService<IdentityModuleDbContext>();
        if (!await SessionCheck.IsStillValidAsync(db, userId, tenantId, principal.FindFirst(PartnerTokens.SecurityStampClaim)?.Value,
                principal.FindFirst(PartnerTokens.OrganisationStampClaim)?.Value, context.HttpContext.RequestAborted))
        {
            context.Fail("The token is no longer valid.");
        }
    }

    internal static class SessionCheck
    {
        /// <summary>
        /// The one check every signed-in request runs, whatever carries the session (bearer token now, portal cookie
        /// later): the user exists, is enabled and belongs to the tenant of the token, its security stamp is unchanged,
        /// and its organisation is active and not suspended since the token was issued. One query.
        /// </summary>
        public static async Task<bool> IsStillValidAsync(IdentityModuleDbContext db, Guid userId, Guid tenantId, string? userStamp,
            string? organisationStamp, CancellationToken cancellationToken)
        {
            var current = await db.PartnerUsers.AsNoTracking()
                .Where(u => u.Id == userId)
                .Select(u => new
                {
                    u.SecurityStamp,
                    u.DisabledAt,
                    u.TenantId,
                    Organisation = db.Organisations.Where(o => o.Id == u.TenantId).Select(o => new { o.Status, o.SessionStamp }).FirstOrDefault(),
                })
                .FirstOrDefaultAsync(cancellationToken);

            return current is not null && current.DisabledAt is null && current.TenantId == tenantId &&
                   current.Organisation is { Status: OrganisationStatus.Active } organisation &&
                   string.Equals(organisation.SessionStamp, organisationStamp, StringComparison.Ordinal) &&
                   string.Equals(current.SecurityStamp, userStamp, StringComparison.Ordinal);
        }
    }

    private static async Task WriteChallengeAsync(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        var http = context.HttpContext;
        var presented = context.AuthenticateFailure is not null || !string.IsNullOrEmpty(context.Error);
        http.Response.Headers.WWWAuthenticate = presented ? "Bearer error=\"invalid_token\"" : "Bearer";
        await (presented
            ? ApiProblems.WriteAsync(http, StatusCodes.Status401Unauthorized, "invalid_token", "The access token is not valid.",
                "The token is expired, malformed, signed by someone else, or no longer valid for its user. Sign in again.")
            : ApiProblems.WriteAsync(http, StatusCodes.Status401Unauthorized, "unauthorized", "Sign-in required.",
                "Sign in with POST /v1/partner/auth/login and send 'Authorization: Bearer <accessToken>'."));
    }
}
