using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Idunox.Testing;

/// <summary>
/// Every log line the host writes, formatted with its exception and its scopes (<c>[TenantId=… KeyId=…]</c>), so tests
/// can scan them (for secrets, say).
/// </summary>
public sealed class CapturedLogs : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<string> _lines = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public IReadOnlyCollection<string> Lines => _lines.ToArray();

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines, this);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private string Scopes()
    {
        var text = new System.Text.StringBuilder();
        _scopes.ForEachScope((scope, builder) =>
        {
            if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                builder.Append('[').AppendJoin(' ', pairs.Select(p => $"{p.Key}={p.Value}")).Append(']');
            }
        }, text);
        return text.ToString();
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines, CapturedLogs owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var structured = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? string.Join(' ', pairs.Select(p => $"{p.Key}={p.Value}"))
                : string.Empty;
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {structured} {owner.Scopes()} {exception}");
        }
    }
}
