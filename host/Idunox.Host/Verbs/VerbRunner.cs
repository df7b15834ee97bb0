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

        if (args.Skip(1).Any(a => a is "--help" or "-h" or "help"))
        {
            await console.Out.WriteLineAsync($"{verb.Name}: {verb.Description}");
            await console.Out.WriteLineAsync();
            await console.Out.WriteAsync(Indent(verb.Usage));
            return VerbExitCodes.Done;
        }

        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };

        try
        {
            if (verb is not (MigrateVerb or OpenApiVerb) && !await DatabaseReady.EnsureAsync(app.Services, console, cancellation.Token))
            {
                return VerbExitCodes.Failed;
            }

            return await verb.RunAsync(args.Skip(1).ToList(), console, cancellation.Token);
        }
        catch (VerbUsageException e) when (e.Message == verb.Usage)
        {
            await console.Error.WriteLineAsync($"usage:");
            await console.Error.WriteAsync(Indent(verb.Usage));
            return VerbExitCodes.Usage;
        }
        catch (VerbUsageException e)
        {
            await console.Error.WriteLineAsync($"idunox {verb.Name}: {e.Message} (idunox {verb.Name} --help shows how to use it)");
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
        await writer.WriteLineAsync("usage: build/idunox <verb> [arguments]   (or: dotnet run --project host/Idunox.Host -- <verb> [arguments])");
        await writer.WriteLineAsync("<verb> --help shows a verb's forms; -v shows the host's informational logs.");
        await writer.WriteLineAsync();
        var rows = verbs.OrderBy(v => v.Name, StringComparer.Ordinal).Select(v => (Name: v.Name, Description: v.Description)).Append((Name: "help", Description: "show this text")).ToList();
        var width = rows.Max(r => r.Name.Length) + 2;
        foreach (var (name, description) in rows)
        {
            await writer.WriteLineAsync($"  {name.PadRight(width)}{description}");
        }
    }

    private static string Indent(string text) =>
        string.Concat(text.Split('\n').Where(l => l.Length > 0).Select(l => $"  {l.TrimEnd()}{Environment.NewLine}"));
}
