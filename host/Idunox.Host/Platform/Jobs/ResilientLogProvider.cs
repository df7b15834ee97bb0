using Hangfire;

namespace Idunox.Host.Platform;

/// <summary>
/// Hangfire logs through one static provider. Bound to a host's logger factory, it throws once that host is disposed;
/// this one drops the line instead, so a process that hosts several apps in turn (the tests) never trips over it.
/// </summary>
internal sealed class ResilientLogProvider(ILoggerFactory factory) : Hangfire.Logging.ILogProvider
{
    private readonly Hangfire.AspNetCore.AspNetCoreLogProvider _inner = new(factory);

    public Hangfire.Logging.ILog GetLogger(string name)
    {
        try
        {
            return new Resilient(_inner.GetLogger(name));
        }
        catch (ObjectDisposedException)
        {
            return new Resilient(null);
        }
    }

    private sealed class Resilient(Hangfire.Logging.ILog? inner) : Hangfire.Logging.ILog
    {
        public bool Log(Hangfire.Logging.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null)
        {
            try
            {
                return inner?.Log(logLevel, messageFunc, exception) ?? false;
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
        }
    }
}
