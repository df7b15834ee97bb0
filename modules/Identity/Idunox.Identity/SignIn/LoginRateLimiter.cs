using Idunox.Shared.Security;
using Microsoft.Extensions.Options;

namespace Idunox.Identity.SignIn;

/// <summary>A fixed one-minute window of sign-in attempts per client address (see <see cref="FixedWindowLimiter"/>).</summary>
internal sealed class LoginRateLimiter(IOptions<LoginOptions> options, TimeProvider clock)
{
    private readonly FixedWindowLimiter _limiter = new(clock, TimeSpan.FromMinutes(1));

    /// <summary>Counts one attempt; false (with how long to wait) once the address has used its window.</summary>
    public bool TryAcquire(string clientAddress, out TimeSpan retryAfter) =>
        _limiter.TryAcquire(clientAddress, options.Value.AttemptsPerAddressPerMinute, out retryAfter);
}
