using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Idunox.Testing;

/// <summary>
/// Plays a process dying at a chosen statement: once armed, the <c>n</c>-th database command whose text matches throws
/// before it reaches the database (the commands before it ran; none after it in that unit of work will). Tests then look
/// at what the database holds: a unit of work is either all there or not at all. <see cref="FailAtCommit"/> plays it
/// dying after every statement of a unit of work ran, as its transaction was about to commit.
/// </summary>
public sealed class CommandFault : DbCommandInterceptor, IDbTransactionInterceptor
{
    private Func<string, bool>? _matches;
    private int _countdown;
    private int _commitCountdown;
    private readonly AsyncLocal<bool> _armedHere = new();
    private bool _thisFlowOnly;

    /// <summary>
    /// Fails the <paramref name="occurrence"/>-th transaction commit (1 = the next) made through EF Core; later ones commit.
    /// With <paramref name="thisFlowOnly"/>, only commits made by what the caller goes on to run count (an async-local mark
    /// set here), not a background service's meanwhile.
    /// </summary>
    public void FailAtCommit(int occurrence, bool thisFlowOnly = false)
    {
        (_commitCountdown, _thisFlowOnly) = (occurrence, thisFlowOnly);
        _armedHere.Value = true; // this method is not async: the mark stays in the caller's flow and what it starts next
    }

    public ValueTask<InterceptionResult> TransactionCommittingAsync(
        DbTransaction transaction, TransactionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
    {
        if (_thisFlowOnly && !_armedHere.Value)
        {
            return ValueTask.FromResult(result);
        }

        if (Volatile.Read(ref _commitCountdown) > 0 && Interlocked.Decrement(ref _commitCountdown) == 0)
        {
            throw new SimulatedCrashException("the test stopped the work before its transaction committed");
        }

        return ValueTask.FromResult(result);
    }

    /// <summary>Fails the <paramref name="occurrence"/>-th command (1 = the next) whose text matches; later ones run.</summary>
    public void FailAt(Func<string, bool> matches, int occurrence) => (_matches, _countdown) = (matches, occurrence);

    public void Disarm() => (_matches, _commitCountdown) = (null, 0);

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Check(command);
        return ValueTask.FromResult(result);
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Check(command);
        return ValueTask.FromResult(result);
    }

    private void Check(DbCommand command)
    {
        if (_matches is { } matches && matches(command.CommandText) && Interlocked.Decrement(ref _countdown) == 0)
        {
            _matches = null;
            throw new SimulatedCrashException($"the test stopped the work at: {command.CommandText[..Math.Min(80, command.CommandText.Length)]}");
        }
    }
}

/// <summary>Thrown by <see cref="CommandFault"/> where a real process would have died.</summary>
public sealed class SimulatedCrashException(string message) : Exception(message);
