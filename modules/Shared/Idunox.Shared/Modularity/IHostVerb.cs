namespace Idunox.Shared.Modularity;

/// <summary>
/// A command-line verb of the host (<c>dotnet run --project host/Idunox.Host -- &lt;verb&gt; ...</c>).
/// Exit codes: 0 done, 1 failed (the request was understood but could not be carried out), 2 usage error.
/// </summary>
public interface IHostVerb
{
    /// <summary>The first word on the command line, e.g. <c>tenants</c>.</summary>
    string Name { get; }

    /// <summary>What the verb is for, in a few words (the <c>help</c> table).</summary>
    string Description { get; }

    /// <summary>Every form the verb takes, one per line, with what each does (<c>&lt;verb&gt; --help</c>).</summary>
    string Usage { get; }

    /// <summary>Runs the verb in its own service scope; <paramref name="args"/> excludes the verb itself.</summary>
    Task<int> RunAsync(IReadOnlyList<string> args, VerbConsole console, CancellationToken cancellationToken);
}

/// <summary>Where a verb writes: results to <see cref="Out"/>, errors to <see cref="Error"/>, secrets read from <see cref="In"/>.</summary>
public sealed record VerbConsole(TextReader In, TextWriter Out, TextWriter Error);

/// <summary>Exit codes shared by every verb.</summary>
public static class VerbExitCodes
{
    public const int Done = 0;
    public const int Failed = 1;
    public const int Usage = 2;
}

/// <summary>How a verb reports a use case's answer: the result line, or the refusal and its exit code.</summary>
public static class VerbOutcome
{
    /// <summary>
    /// Prints <paramref name="done"/> of the value (exit 0), or <c>error: …</c> (field messages name their field): values
    /// that break the rules are the caller's mistake (exit 2), a refusal of a well-formed request a failure (exit 1).
    /// </summary>
    public static async Task<int> ReportAsync<T>(VerbConsole console, Idunox.Shared.Errors.Outcome<T> result, Func<T, string> done)
    {
        if (result.Value is { } value && result.Succeeded)
        {
            await console.Out.WriteLineAsync(done(value));
            return VerbExitCodes.Done;
        }

        var failure = result.Failure!;
        var message = failure.Errors is { Count: > 0 } errors
            ? string.Join(" ", errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}")))
            : failure.Detail ?? failure.Title;
        await console.Error.WriteLineAsync($"error: {message}");
        return failure.Kind == Idunox.Shared.Errors.FailureKind.Invalid ? VerbExitCodes.Usage : VerbExitCodes.Failed;
    }
}

/// <summary>Thrown by argument parsing; the host prints the message and exits with <see cref="VerbExitCodes.Usage"/>.</summary>
public sealed class VerbUsageException(string message) : Exception(message);
