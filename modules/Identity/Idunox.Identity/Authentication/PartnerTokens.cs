using System.Security.Claims;
using Idunox.Identity.Organisations;
using Idunox.Identity.Users;
using Idunox.Shared;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Idunox.Identity.Authentication;

/// <summary>Issues the portal's access tokens: HS256, issuer and audience, user id, e-mail, tenant and security stamp.</summary>
internal sealed class PartnerTokens(JwtSettings settings, TimeProvider clock)
{
    public const string SecurityStampClaim = "sstamp";

    /// <summary>The organisation's session stamp: renewed by suspension, so older tokens never come back.</summary>
    public const string OrganisationStampClaim = "ostamp";

    private readonly JsonWebTokenHandler _handler = new();

    public AccessToken Issue(PartnerUser user, Organisation organisation)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var expires = now.Add(settings.Lifetime);
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = settings.Issuer,
            Audience = settings.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = expires,
            SigningCredentials = new SigningCredentials(settings.SigningKey, SecurityAlgorithms.HmacSha256),
            Subject = new ClaimsIdentity(
            [
                new Claim(IdunoxClaimTypes.UserId, user.Id.ToString()),
                new Claim(IdunoxClaimTypes.Email, user.Email ?? string.Empty),
                new Claim(IdunoxClaimTypes.Tenant, organisation.Id.ToString()),
                new Claim(SecurityStampClaim, user.SecurityStamp ?? string.Empty),
                new Claim(OrganisationStampClaim, organisation.SessionStamp),
                new Claim(JwtRegisteredClaimNames.Jti, Guid.NewGuid().ToString("N")),
            ]),
        });
        return new AccessToken(token, "Bearer", (int)settings.Lifetime.TotalSeconds, expires);
    }
}

internal sealed record AccessToken(string AccessTokenValue, string TokenType, int ExpiresIn, DateTime ExpiresAt)
{
    public TokenResponse ToResponse() => new(AccessTokenValue, TokenType, ExpiresIn, ExpiresAt);

    public override string ToString() => $"AccessToken {{ ExpiresAt = {ExpiresAt:O} }}";
}

/// <summary>The sign-in answer: <c>{accessToken, tokenType:"Bearer", expiresIn, expiresAt}</c>.</summary>
internal sealed record TokenResponse(string AccessToken, string TokenType, int ExpiresIn, DateTime ExpiresAt)
{
    // A bearer token is a secret for its lifetime: never print it.
    public override string ToString() => $"TokenResponse {{ TokenType = {TokenType}, ExpiresAt = {ExpiresAt:O} }}";
}
