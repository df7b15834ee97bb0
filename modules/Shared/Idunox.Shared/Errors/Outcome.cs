using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Idunox.Shared.Errors;

/// <summary>What kind of "no" a use case answers; each surface (API, page, verb) shows it in its own way.</summary>
public enum FailureKind
{
    Invalid,
    NotFound,
    Conflict,

    /// <summary>Credentials refused (401).</summary>
    Unauthorized,

    /// <summary>Too many attempts (429); <see cref="UseCaseFailure.RetryAfter"/> says how long to wait.</summary>
    TooManyAttempts,
}

/// <summary>
/// A use case's refusal, in the product's words: a stable <see cref="Code"/>, a title and detail for people, and for
/// <see cref="FailureKind.Invalid"/> the messages per field. The API turns it into a problem document, a page into
/// messages beside the fields.
/// </summary>
public sealed record UseCaseFailure(FailureKind Kind, string Code, string Title, string? Detail, IReadOnlyDictionary<string, string[]>? Errors = null)
{
    /// <summary>How long to wait before trying again (for <see cref="FailureKind.TooManyAttempts"/>), whole seconds.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>The messages for one field (null when it has none): what a page shows beside that field.</summary>
    public IReadOnlyList<string>? MessagesFor(string field) =>
        Errors is { } errors && errors.TryGetValue(field, out var messages) ? messages : null;

    public int? RetryAfterSeconds => RetryAfter is { } wait ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : null;

    public static UseCaseFailure Invalid(ValidationErrors errors) =>
        new(FailureKind.Invalid, ProblemCodes.ValidationFailed, "The request is invalid.", "One or more fields are invalid.",
            errors.ToDictionary().AsReadOnly());

    /// <summary>The problem document of this failure: 400 with <c>errors</c>, 404 or 409, always with its <c>code</c>.</summary>
    public ProblemHttpResult ToProblem()
    {
        var status = Kind switch
        {
            FailureKind.Invalid => StatusCodes.Status400BadRequest,
            FailureKind.NotFound => StatusCodes.Status404NotFound,
            FailureKind.Unauthorized => StatusCodes.Status401Unauthorized,
            FailureKind.TooManyAttempts => StatusCodes.Status429TooManyRequests,
            _ => StatusCodes.Status409Conflict,
        };
        var problem = Errors is { Count: > 0 } errors
            ? new HttpValidationProblemDetails(errors.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal))
            : new ProblemDetails();
        problem.Status = status;
        problem.Title = Title;
        problem.Detail = Detail;
        problem.Type = ApiProblems.TypeFor(status);
        problem.Extensions[ApiProblems.CodeKey] = Code;
        return TypedResults.Problem(problem);
    }

    /// <summary>The problem document, with <c>Retry-After</c> when the failure says how long to wait.</summary>
    public ProblemHttpResult ToProblem(HttpContext http)
    {
        if (RetryAfterSeconds is { } seconds)
        {
            http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return ToProblem();
    }
}

/// <summary>A use case's answer: its value, or why not.</summary>
public sealed class Outcome<T>
{
    private Outcome(T? value, UseCaseFailure? failure)
    {
        Value = value;
        Failure = failure;
    }

    public T? Value { get; }

    public UseCaseFailure? Failure { get; }

    public bool Succeeded => Failure is null;

    public static Outcome<T> Ok(T value) => new(value, null);

    public static implicit operator Outcome<T>(UseCaseFailure failure) => new(default, failure);
}
