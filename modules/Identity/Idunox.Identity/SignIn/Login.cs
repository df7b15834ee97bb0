using Idunox.Shared.Errors;
using Idunox.Identity.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Idunox.Identity.SignIn;

/// <summary><c>POST /v1/partner/auth/login</c>: e-mail and password for an access token (the rules: <see cref="SignInPartner"/>).</summary>
internal static class Login
{
    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapPost("/v1/partner/auth/login", Handle)
            .WithName("Login")
            .WithTags("Portal authentication")
            .WithSummary("Sign in with e-mail and password; answers a bearer access token.")
            .ProducesProblems(StatusCodes.Status400BadRequest, ProblemCodes.ValidationFailed)
            .ProducesProblems(StatusCodes.Status401Unauthorized, SignInPartner.InvalidCredentials)
            .ProducesProblems(StatusCodes.Status429TooManyRequests, SignInPartner.TooManyAttempts)
            .WithExamples(new LoginRequest("it@partner.example", "correct horse battery staple"), new TokenResponse(
                "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIuLi4ifQ.c2lnbmF0dXJl", "Bearer", 3600, new DateTime(2026, 11, 2, 10, 30, 0, DateTimeKind.Utc)))
            .AllowAnonymous();

    internal static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> Handle(
        LoginRequest request, HttpContext http, SignInPartner signIn, PartnerTokens tokens, CancellationToken cancellationToken)
    {
        var outcome = await signIn.RunAsync(request.Email, request.Password, http.Connection.RemoteIpAddress?.ToString(), cancellationToken);
        if (outcome.Value is not { } signedIn)
        {
            return outcome.Failure!.ToProblem(http);
        }

        return TypedResults.Ok(tokens.Issue(signedIn.User, signedIn.Organisation).ToResponse());
    }
}

internal sealed record LoginRequest(
    [property: System.ComponentModel.DataAnnotations.Required, System.ComponentModel.DataAnnotations.EmailAddress] string? Email,
    [property: System.ComponentModel.DataAnnotations.Required] string? Password) : IApiRequest
{
    public override string ToString() => $"LoginRequest {{ Email = {Email}, Password = *** }}";
}
