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

    /// <summary>Not allowed for this caller (403), e.g. the last administrator removing their own role.</summary>
    Forbidden,
}

/// <summary>
/// A use case's refusal, in the product's words: a stable <see cref="Code"/>, a title and detail for people, and for
/// <see cref="FailureKind.Invalid"/> the messages per field. The one result type of the platform's use cases, across
/// modules (it crosses Contracts): the API turns it into a problem document (<c>ToProblem</c>), a page into messages
/// beside the fields and a status code (<c>PageFailure</c>), a verb into a message and exit code 2.
/// </summary>
public sealed record UseCaseFailure(FailureKind Kind, string Code, string Title, string? Detail, IReadOnlyDictionary<string, string[]>? Errors = null)
{
    /// <summary>The code of every field-level refusal.</summary>
    public const string ValidationFailed = "validation_failed";

    /// <summary>How long to wait before trying again (for <see cref="FailureKind.TooManyAttempts"/>), whole seconds.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>The messages for one field (null when it has none): what a page shows beside that field.</summary>
    public IReadOnlyList<string>? MessagesFor(string field) =>
        Errors is { } errors && errors.TryGetValue(field, out var messages) ? messages : null;

    public int? RetryAfterSeconds => RetryAfter is { } wait ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : null;

    /// <summary>One sentence for people: the field messages of an invalid request, otherwise the detail (or the title).</summary>
    public string Message => Errors is { Count: > 0 } errors ? string.Join(" ", errors.Values.SelectMany(v => v)) : Detail ?? Title;

    /// <summary>The HTTP status of this failure, for the API and for pages alike.</summary>
    public int StatusCode => Kind switch
    {
        FailureKind.Invalid => 400,
        FailureKind.Unauthorized => 401,
        FailureKind.Forbidden => 403,
        FailureKind.NotFound => 404,
        FailureKind.TooManyAttempts => 429,
        _ => 409,
    };

    public static UseCaseFailure Invalid(ValidationErrors errors) =>
        new(FailureKind.Invalid, ValidationFailed, "The request is invalid.", "One or more fields are invalid.", errors.ToDictionary().AsReadOnly());

    /// <summary>An invalid request with these messages per field.</summary>
    public static UseCaseFailure Invalid(IReadOnlyDictionary<string, string[]> errors) =>
        new(FailureKind.Invalid, ValidationFailed, "The request is invalid.", "One or more fields are invalid.",
            errors.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal).AsReadOnly());

    /// <summary>An invalid request with one field's message.</summary>
    public static UseCaseFailure Invalid(string field, string message) => Invalid(new ValidationErrors().Add(field, message));

    public static UseCaseFailure NotFound(string code, string detail, string title = "Not found.") => new(FailureKind.NotFound, code, title, detail);

    public static UseCaseFailure Conflict(string code, string detail, string title = "That cannot be done now.") => new(FailureKind.Conflict, code, title, detail);
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
