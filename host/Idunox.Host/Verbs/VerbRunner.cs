using System.Data.Common;
using Idunox.Shared.Modularity;

namespace Idunox.Host.Verbs;

/// <summary>Runs one command-line verb against the composed host's services, without starting the web server.</summary>
internal static class VerbRunner
{
    public static async Task<int> RunAsync(WebApplication app, IReadOnlyList<string> args, VerbConsole console)
    {
        var verbs = app.Services.GetServices<IHostVerb>().ToList();
        if (args[0] is "help")
        {
            await WriteUsageAsync(console.Out, verbs);
            return VerbExitCodes.Done;
        }

        var verb = verbs.FirstOrDefault(v => v.Name == args[0]);
        if (verb is null)
        {
            await console.Error.WriteLineAsync($"idunox: unknown verb '{args[0]}'.");
            await WriteUsageAsync(console.Error, verbs);
            return VerbExitCodes.Usage;
        }

        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };

        try
        {
            return await verb.RunAsync(args.Skip(1).ToList(), console, cancellation.Token);
        }
        catch (VerbUsageException e)
        {
            await console.Error.WriteLineAsync($"idunox {verb.Name}: {e.Message}");
            return VerbExitCodes.Usage;
        }
        catch (Microsoft.EntityFrameworkCore.DbUpdateException)
        {
            await console.Error.WriteLineAsync($"idunox {verb.Name}: the database refused the change (it may already exist); nothing was changed.");
            return VerbExitCodes.Failed;
        }
        catch (DbException e)
        {
            await console.Error.WriteLineAsync($"idunox {verb.Name}: the database could not be used: {e.Message}");
            return VerbExitCodes.Failed;
        }
        catch (OperationCanceledException)
        {
            await console.Error.WriteLineAsync($"idunox {verb.Name}: cancelled.");
            return VerbExitCodes.Failed;
        }
    }

    private static async Task WriteUsageAsync(TextWriter writer, IEnumerable<IHostVerb> verbs)
    {
        await writer.WriteLineAsync("usage: dotnet run --project host/Idunox.Host -- <verb> [arguments]");
        await writer.WriteLineAsync("verbs:");
        foreach (var verb in verbs.OrderBy(v => v.Name, StringComparer.Ordinal))
        {
            await writer.WriteLineAsync($"  {verb.Summary}");
        }

        await writer.WriteLineAsync("  help                         show this text");
    }
}
