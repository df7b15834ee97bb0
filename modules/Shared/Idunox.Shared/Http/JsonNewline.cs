using Microsoft.AspNetCore.Http;

namespace Idunox.Shared.Http;

/// <summary>
/// Every JSON answer (a result, a problem document) ends with a newline, so a pasted <c>curl</c> block prints one answer
/// a line. The rule lives here: streamed answers get it from <see cref="AppendToStreamedAnswers"/>; answers written in
/// one piece with their length (<see cref="JsonAnswer{T}"/>, the data API's pre-rendered refusals) write
/// <see cref="Utf8"/> themselves.
/// </summary>
public static class JsonNewline
{
    public const string Text = "\n";

    public static ReadOnlySpan<byte> Utf8 => "\n"u8;

    /// <summary>
    /// The answer is someone else's (the data API's, passed through by the gateway): it is left exactly as it was written.
    /// <paramref name="untouched"/> false takes that back (the platform answers after all).
    /// </summary>
    public static void LeaveUntouched(HttpContext context, bool untouched = true) =>
        context.Features.Set(untouched ? UntouchedAnswer.Instance : null);

    /// <summary>Middleware: after a streamed JSON or problem answer (no <c>Content-Length</c>), the newline.</summary>
    public static async Task AppendToStreamedAnswers(HttpContext context, RequestDelegate next)
    {
        await next(context);
        var type = context.Response.ContentType;
        if (context.Response.HasStarted && context.Features.Get<UntouchedAnswer>() is null && context.Response.ContentLength is null && !HttpMethods.IsHead(context.Request.Method) &&
            type is not null && (type.StartsWith("application/json", StringComparison.Ordinal) || type.StartsWith("application/problem+json", StringComparison.Ordinal)))
        {
            await context.Response.WriteAsync(Text, context.RequestAborted);
        }
    }
}

/// <summary>The marker of an answer the platform passes through as it is (see <see cref="JsonNewline.LeaveUntouched"/>).</summary>
internal sealed class UntouchedAnswer
{
    public static readonly UntouchedAnswer Instance = new();
}
