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
}

/// <summary>
/// A use case's refusal, in the product's words: a stable <see cref="Code"/>, a title and detail for people, and for
/// <see cref="FailureKind.Invalid"/> the messages per field. The API turns it into a problem document, a page into
/// messages beside the fields.
/// </summary>
public sealed record UseCaseFailure(FailureKind Kind, string Code, string Title, string? Detail, IReadOnlyDictionary<string, string[]>? Errors = null)
{
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
