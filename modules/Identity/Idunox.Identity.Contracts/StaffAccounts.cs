using Idunox.Shared.Errors;

namespace Idunox.Identity.Contracts;

/// <summary>
/// Staff sign-in for the staff area, which owns the staff cookie: the password, the authenticator (TOTP) and its
/// recovery codes, and the per-request check of a staff session. Refusals are the same whether or not an address
/// exists, and are rate-limited and locked out like partner sign-ins.
/// </summary>
public interface IStaffAccounts
{
    /// <summary>The first step: e-mail and password. A member whose password is right, or one refusal for everything else.</summary>
    Task<Outcome<StaffCheck>> CheckPasswordAsync(string? email, string? password, string? clientAddress, CancellationToken cancellationToken);

    /// <summary>
    /// The authenticator to enrol in this attempt: a new shared key (or <paramref name="keyInProgress"/>, the one this
    /// attempt was shown before) and the <c>otpauth://</c> URI a QR code carries. Nothing is stored: the caller keeps
    /// <see cref="AuthenticatorEnrolment.Key"/> for this attempt only (a protected, short-lived cookie). Null when the
    /// member is unknown, disabled or already enrolled.
    /// </summary>
    Task<AuthenticatorEnrolment?> BeginEnrolmentAsync(Guid staffUserId, string? keyInProgress, CancellationToken cancellationToken);

    /// <summary>
    /// Checks a first code made with the attempt's key; on success that key becomes the member's (replacing any other),
    /// two-factor is on, every other session ends and ten recovery codes are issued (shown once).
    /// </summary>
    Task<Outcome<StaffCheck>> CompleteEnrolmentAsync(Guid staffUserId, string? keyInProgress, string? code, CancellationToken cancellationToken);

    /// <summary>
    /// The second step of a later sign-in: a code from the authenticator (each time step is accepted once, on every server),
    /// or one of the recovery codes (each works once).
    /// </summary>
    Task<Outcome<StaffCheck>> VerifySecondFactorAsync(Guid staffUserId, string? code, CancellationToken cancellationToken);

    /// <summary>
    /// The check every request of a staff session runs: the member exists, is enabled, and its security stamp is the one
    /// the session started with (a reset authenticator or a new password ends every session). Null when the session ended.
    /// </summary>
    Task<StaffMember?> FindSessionMemberAsync(Guid staffUserId, string? securityStamp, CancellationToken cancellationToken);

    /// <summary>Removes a member's authenticator and recovery codes (a lost phone): the next sign-in enrols again. Ends its sessions.</summary>
    Task<Outcome<StaffUserInfo>> ResetAuthenticatorAsync(string email, CancellationToken cancellationToken);
}

/// <summary>A staff member as a session knows it.</summary>
public sealed record StaffMember(Guid Id, string Email, IReadOnlyList<string> Roles, string SecurityStamp, bool HasAuthenticator);

/// <summary>An enrolment attempt's key: <see cref="Key"/> to keep for the attempt, <see cref="SharedKey"/> to show (grouped for typing).</summary>
public sealed record AuthenticatorEnrolment(string Key, string SharedKey, string AuthenticatorUri);

/// <summary>
/// The codes of a refused staff sign-in step (a <see cref="UseCaseFailure"/>: 401 for credentials and codes, 429 with
/// how long to wait for a limit, 400 for a missing field).
/// </summary>
public static class StaffRefusal
{
    public const string InvalidCredentials = "invalid_credentials";
    public const string InvalidCode = "invalid_code";
    public const string TooManyAttempts = "too_many_attempts";
    public const string Invalid = UseCaseFailure.ValidationFailed;
}

/// <summary>A step that passed: the member. Enrolment adds the recovery codes (shown once); a recovery code says how many are left.</summary>
public sealed record StaffCheck(StaffMember Member, IReadOnlyList<string>? RecoveryCodes = null, bool UsedRecoveryCode = false, int RecoveryCodesLeft = 0);

/// <summary>Where the staff sign-in lives (Identity owns it; the staff area links to it).</summary>
public static class StaffPaths
{
    public const string SignIn = "/admin/sign-in";
    public const string Home = "/admin";
}

/// <summary>
/// What a staff member did to their own account in Identity's pages, for the staff log the staff area keeps (a port:
/// no-op by default, written by the staff area when it is on).
/// </summary>
public interface IStaffActivityLog
{
    Task RecordAsync(StaffActivity activity, CancellationToken cancellationToken);
}

/// <summary>One entry: who (id, e-mail, address), what (a staff-log action such as <see cref="PasswordChanged"/>) and about whom.</summary>
public sealed record StaffActivity(Guid StaffUserId, string StaffEmail, string? ClientAddress, string Action, string? Subject)
{
    public const string PasswordChanged = "staff.password_changed";
}

/// <summary>While the staff area is off: nothing to write to.</summary>
public sealed class NoStaffActivityLog : IStaffActivityLog
{
    public Task RecordAsync(StaffActivity activity, CancellationToken cancellationToken) => Task.CompletedTask;
}
