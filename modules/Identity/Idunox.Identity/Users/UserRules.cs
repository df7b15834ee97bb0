using System.Net.Mail;
using Microsoft.AspNetCore.Identity;

namespace Idunox.Identity.Users;

/// <summary>The rules every portal and staff user's e-mail and password follow.</summary>
internal static class UserRules
{
    public const int MaxEmailLength = 256;
    public const int MinPasswordLength = 12;

    /// <summary>Long enough for any passphrase, short enough that hashing it is no denial of service.</summary>
    public const int MaxPasswordLength = 1024;

    public static bool IsValidEmail(string? email) =>
        email is { Length: > 0 and <= MaxEmailLength } &&
        MailAddress.TryCreate(email, out var parsed) && parsed.Address == email && email.Contains('.', StringComparison.Ordinal);

    public static void ConfigurePasswords(PasswordOptions password)
    {
        // Length over composition rules (NIST SP 800-63B): at least 12 characters, anything allowed.
        password.RequiredLength = MinPasswordLength;
        password.RequireDigit = false;
        password.RequireLowercase = false;
        password.RequireUppercase = false;
        password.RequireNonAlphanumeric = false;
        password.RequiredUniqueChars = 1;
    }

    public static Task<IdentityResult> RehashPasswordAsync(this UserManager<PartnerUser> users, PartnerUser user, string password)
    {
        user.PasswordHash = users.PasswordHasher.HashPassword(user, password);
        return users.UpdateAsync(user);
    }
}

/// <summary>A password may not be (or contain) the user's own e-mail address, nor be longer than we hash.</summary>
internal sealed class NotTheEmailPasswordValidator<TUser> : IPasswordValidator<TUser>
    where TUser : IdentityUser<Guid>
{
    public Task<IdentityResult> ValidateAsync(UserManager<TUser> manager, TUser user, string? password)
    {
        if (password is { Length: > UserRules.MaxPasswordLength })
        {
            return Task.FromResult(IdentityResult.Failed(new IdentityError
            {
                Code = "PasswordTooLong",
                Description = $"Passwords may be at most {UserRules.MaxPasswordLength} characters.",
            }));
        }

        var email = user.Email?.Trim();
        return Task.FromResult(!string.IsNullOrEmpty(email) && password?.Contains(email, StringComparison.OrdinalIgnoreCase) == true
            ? IdentityResult.Failed(new IdentityError { Code = "PasswordIsEmail", Description = "The password may not be the e-mail address." })
            : IdentityResult.Success);
    }
}
