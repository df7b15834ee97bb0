using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Idunox.Shared.Errors;

/// <summary>A use case's refusal as the API answers it: an RFC 9457 problem document with its stable <c>code</c>.</summary>
public static class UseCaseProblems
{
    /// <summary>The problem document of this failure: 400 with <c>errors</c>, 401, 403, 404, 409 or 429, always with its <c>code</c>.</summary>
    public static ProblemHttpResult ToProblem(this UseCaseFailure failure)
    {
        var problem = failure.Errors is { Count: > 0 } errors
            ? new HttpValidationProblemDetails(errors.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal))
            : new ProblemDetails();
        problem.Status = failure.StatusCode;
        problem.Title = failure.Title;
        problem.Detail = failure.Detail;
        problem.Type = ApiProblems.TypeFor(failure.StatusCode);
        problem.Extensions[ApiProblems.CodeKey] = failure.Code;
        return TypedResults.Problem(problem);
    }

    /// <summary>The problem document, with <c>Retry-After</c> when the failure says how long to wait.</summary>
    public static ProblemHttpResult ToProblem(this UseCaseFailure failure, HttpContext http)
    {
        if (failure.RetryAfterSeconds is { } seconds)
        {
            http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return failure.ToProblem();
    }
}
