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

    /// <summary>Middleware: after a streamed JSON or problem answer (no <c>Content-Length</c>), the newline.</summary>
    public static async Task AppendToStreamedAnswers(HttpContext context, RequestDelegate next)
    {
        await next(context);
        var type = context.Response.ContentType;
        if (context.Response.HasStarted && context.Response.ContentLength is null && !HttpMethods.IsHead(context.Request.Method) &&
            type is not null && (type.StartsWith("application/json", StringComparison.Ordinal) || type.StartsWith("application/problem+json", StringComparison.Ordinal)))
        {
            await context.Response.WriteAsync(Text, context.RequestAborted);
        }
    }
}
