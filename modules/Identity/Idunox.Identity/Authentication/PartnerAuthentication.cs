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
        builder.Services.AddOptions<JwtBearerOptions>(IdunoxAuthentication.PartnerScheme).Configure<TimeProvider>((o, clock) =>
        {
            o.MapInboundClaims = false;
            o.RequireHttpsMetadata = false;
            o.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = settings.Issuer,
                ValidAudience = settings.Audience,
                IssuerSigningKey = settings.SigningKey,
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

        var stamp = principal.FindFirst(PartnerTokens.SecurityStampClaim)?.Value;
        var db = context.HttpContext.RequestServices.GetRequiredService<IdentityModuleDbContext>();
        var current = await db.PartnerUsers.AsNoTracking()
            .Where(u => u.Id == userId)
            .Select(u => new
            {
                u.SecurityStamp,
                u.DisabledAt,
                u.TenantId,
                OrganisationStatus = db.Organisations.Where(o => o.Id == u.TenantId).Select(o => (OrganisationStatus?)o.Status).FirstOrDefault(),
            })
            .FirstOrDefaultAsync(context.HttpContext.RequestAborted);

        if (current is null || current.DisabledAt is not null || current.TenantId != tenantId ||
            current.OrganisationStatus != OrganisationStatus.Active ||
            !string.Equals(current.SecurityStamp, stamp, StringComparison.Ordinal))
        {
            context.Fail("The token is no longer valid.");
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
