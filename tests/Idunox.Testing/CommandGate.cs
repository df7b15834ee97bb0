using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Idunox.Testing;

/// <summary>
/// Makes concurrency visible: once armed, every database command whose text contains a marker (the per-tenant lock
/// of a key change, say) waits until <c>parties</c> of them have arrived, then all go on together. A test that armed
/// it for two requests knows both were inside the use case at the same time; if they ran one after another, the first
/// would wait in vain and fail. What happens next (a lock, a unique index) is then what the test sees.
/// </summary>
public sealed class CommandGate : DbCommandInterceptor
{
    private Gate? _armed;

    public IDisposable Arm(string marker, int parties, TimeSpan? timeout = null)
    {
        var gate = new Gate(marker, parties, timeout ?? TimeSpan.FromSeconds(15));
        _armed = gate;
        return new Disarm(this, gate);
    }

    /// <summary>
    /// Runs <paramref name="meanwhile"/> when the first command containing <paramref name="marker"/> is about to run, and
    /// only then lets it run: what another writer could do between a use case's checks (under its lock) and its write.
    /// </summary>
    public IDisposable ArmBefore(string marker, Func<Task> meanwhile)
    {
        var gate = new Gate(marker, parties: 1, TimeSpan.FromSeconds(15), meanwhile);
        _armed = gate;
        return new Disarm(this, gate);
    }

    /// <summary>How many commands reached the gate while it was armed.</summary>
    public int Arrived => _armed?.Arrived ?? 0;

    public override async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        await WaitAsync(command, cancellationToken);
        return result;
    }

    public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        await WaitAsync(command, cancellationToken);
        return result;
    }

    public override async ValueTask<InterceptionResult<object>> ScalarExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        await WaitAsync(command, cancellationToken);
        return result;
    }

    private Task WaitAsync(DbCommand command, CancellationToken cancellationToken) =>
        _armed is { } gate && command.CommandText.Contains(gate.Marker, StringComparison.Ordinal) ? gate.ArriveAsync(cancellationToken) : Task.CompletedTask;

    private sealed class Gate(string marker, int parties, TimeSpan timeout, Func<Task>? meanwhile = null)
    {
        private int _acted;

        private readonly TaskCompletionSource _allIn = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _arrived;

        public string Marker => marker;

        public int Arrived => Volatile.Read(ref _arrived);

        public async Task ArriveAsync(CancellationToken cancellationToken)
        {
            if (meanwhile is not null && Interlocked.Exchange(ref _acted, 1) == 0)
            {
                await meanwhile();
            }

            if (Interlocked.Increment(ref _arrived) >= parties)
            {
                _allIn.TrySetResult();
            }

            try
            {
                await _allIn.Task.WaitAsync(timeout, cancellationToken);
            }
            catch (TimeoutException)
            {
                throw new InvalidOperationException(
                    $"Only {Arrived} of {parties} commands containing '{marker}' arrived together: the requests did not overlap.");
            }
        }
    }

    private sealed class Disarm(CommandGate owner, Gate gate) : IDisposable
    {
        public void Dispose() => Interlocked.CompareExchange(ref owner._armed, null, gate);
    }
}
