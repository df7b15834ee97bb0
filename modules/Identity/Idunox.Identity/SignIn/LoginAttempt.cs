namespace Idunox.Identity.SignIn;

/// <summary>
/// Failed sign-ins for one e-mail address, known or not (keyed by a hash of the normalised address, so the table
/// neither reveals nor collects which addresses exist). Five failures lock the address for fifteen minutes.
/// </summary>
internal sealed class LoginAttempt
{
    /// <summary>SHA-256 of the normalised e-mail address.</summary>
    public required byte[] EmailHash { get; init; }

    public int FailedCount { get; set; }

    public DateTime LastFailedAt { get; set; }

    public DateTime? LockedUntil { get; set; }
}
