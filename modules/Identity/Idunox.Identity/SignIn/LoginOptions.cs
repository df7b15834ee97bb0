namespace Idunox.Identity.SignIn;

/// <summary><c>Identity:Login:*</c>: brute-force limits of the sign-in endpoint.</summary>
internal sealed class LoginOptions
{
    public const string SectionName = "Identity:Login";

    /// <summary>Consecutive failures for one e-mail address before it is locked.</summary>
    public int MaxFailedAttempts { get; set; } = 5;

    public int LockoutMinutes { get; set; } = 15;

    /// <summary>Sign-in attempts one client address may make a minute (generous: an office shares one address).</summary>
    public int AttemptsPerAddressPerMinute { get; set; } = 30;
}
