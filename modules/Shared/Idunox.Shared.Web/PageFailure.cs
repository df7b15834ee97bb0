using Idunox.Shared.Errors;
using Microsoft.AspNetCore.Http;

namespace Idunox.Shared.Web;

/// <summary>
/// How a page answers a refused use case, the same on every page: the failure's status code (400 invalid, 409
/// conflict, 429 with <c>Retry-After</c>…) on the response, and the failure itself for the page to show (field messages
/// beside their fields, anything else as one message). A form that names something that is not there (another
/// organisation's user, a member removed meanwhile) is a bad request to a page that exists: 400 with the message, not the
/// "page not found" page a 404 would show.
/// </summary>
public static class PageFailure
{
    public static UseCaseFailure Answer(HttpContext http, UseCaseFailure failure)
    {
        http.Response.StatusCode = failure.Kind == FailureKind.NotFound ? StatusCodes.Status400BadRequest : failure.StatusCode;
        if (failure.RetryAfterSeconds is { } seconds)
        {
            http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return failure;
    }

    /// <summary>An invalid request with one field's message (e.g. a form field the use case never saw), answered 400.</summary>
    public static UseCaseFailure Invalid(HttpContext http, string field, string message) =>
        Answer(http, UseCaseFailure.Invalid(field, message));
}
