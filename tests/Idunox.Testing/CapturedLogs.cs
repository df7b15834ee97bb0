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

    private readonly ConcurrentDictionary<TaskCompletionSource, Func<string, bool>> _waiters = new();

    /// <summary>The first line (already written or still to come) that <paramref name="match"/> accepts; fails after <paramref name="timeout"/>.</summary>
    public async Task<string> WaitForAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiters[arrived] = match;
        try
        {
            if (_lines.FirstOrDefault(match) is null)
            {
                await arrived.Task.WaitAsync(timeout);
            }

            return _lines.First(match);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"No log line as expected within {timeout.TotalSeconds:0} s.");
        }
        finally
        {
            _waiters.TryRemove(arrived, out _);
        }
    }

    private void Written(string line)
    {
        foreach (var (waiter, match) in _waiters)
        {
            if (match(line))
            {
                waiter.TrySetResult();
            }
        }
    }

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
            var line = $"{logLevel} {category}: {formatter(state, exception)} {structured} {owner.Scopes()} {exception}";
            lines.Enqueue(line);
            owner.Written(line);
        }
    }
}
