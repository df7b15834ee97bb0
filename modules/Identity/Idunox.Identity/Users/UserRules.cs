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

    /// <summary>
    /// A portal user's e-mail and display name (none given: the e-mail's local part), trimmed, with the field errors of
    /// each: the same rules whether the user is created by a verb, invited by staff or by the command line.
    /// </summary>
    public static (string Email, string DisplayName, Dictionary<string, string[]> Errors) CheckPartner(string? email, string? displayName)
    {
        var trimmed = email?.Trim() ?? string.Empty;
        var name = string.IsNullOrWhiteSpace(displayName) ? trimmed.Split('@')[0] : displayName.Trim();
        var errors = new Dictionary<string, string[]>();
        if (!IsValidEmail(trimmed))
        {
            errors["email"] = ["Give a valid e-mail address, e.g. it@partner.example."];
        }

        if (name.Length > PartnerUser.MaxDisplayNameLength)
        {
            errors["name"] = [$"The display name must be at most {PartnerUser.MaxDisplayNameLength} characters."];
        }
        else if (Idunox.Shared.Text.DisplayText.HasHiddenOrControlCharacters(name))
        {
            errors["name"] = ["The name may not contain control characters, invisible formatting characters or line separators."];
        }

        return (trimmed, name, errors);
    }

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

    public static Task<IdentityResult> RehashPasswordAsync<TUser>(this UserManager<TUser> users, TUser user, string password)
        where TUser : IdentityUser<Guid>
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
