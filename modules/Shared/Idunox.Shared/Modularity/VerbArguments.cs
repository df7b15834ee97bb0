namespace Idunox.Shared.Modularity;

/// <summary>
/// The arguments of one verb: positional words, <c>--option value</c> pairs and <c>--flag</c> switches.
/// Anything unknown, repeated or missing its value is a usage error, never silently ignored.
/// </summary>
public sealed class VerbArguments
{
    private readonly Dictionary<string, string> _options;
    private readonly HashSet<string> _flags;

    private VerbArguments(IReadOnlyList<string> positional, Dictionary<string, string> options, HashSet<string> flags)
    {
        Positional = positional;
        _options = options;
        _flags = flags;
    }

    public IReadOnlyList<string> Positional { get; }

    public static VerbArguments Parse(
        IReadOnlyList<string> args,
        IReadOnlyCollection<string>? options = null,
        IReadOnlyCollection<string>? flags = null)
    {
        options ??= [];
        flags ??= [];
        var positional = new List<string>();
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var set = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                positional.Add(arg);
                continue;
            }

            var name = arg[2..];
            string? inlineValue = null;
            var eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                inlineValue = name[(eq + 1)..];
                name = name[..eq];
            }

            if (flags.Contains(name))
            {
                if (inlineValue is not null)
                {
                    throw new VerbUsageException($"--{name} takes no value.");
                }

                if (!set.Add(name))
                {
                    throw new VerbUsageException($"--{name} is given twice.");
                }

                continue;
            }

            if (!options.Contains(name))
            {
                throw new VerbUsageException($"Unknown option '--{name}'.");
            }

            var value = inlineValue;
            if (value is null)
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    throw new VerbUsageException($"--{name} needs a value.");
                }

                value = args[++i];
            }

            if (!values.TryAdd(name, value))
            {
                throw new VerbUsageException($"--{name} is given twice.");
            }
        }

        return new VerbArguments(positional, values, set);
    }

    public string? Option(string name) => _options.GetValueOrDefault(name);

    public string RequiredOption(string name) =>
        Option(name) is { Length: > 0 } value ? value : throw new VerbUsageException($"--{name} is required.");

    public bool Flag(string name) => _flags.Contains(name);

    /// <summary>Demands exactly <paramref name="count"/> positional words.</summary>
    public VerbArguments ExpectPositional(int count, string usage)
    {
        if (Positional.Count != count)
        {
            throw new VerbUsageException(usage);
        }

        return this;
    }
}
