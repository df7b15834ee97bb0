using System.IO.Compression;
using Idunox.Identity.Users;
using Microsoft.AspNetCore.Identity;

namespace Idunox.Identity.Passwords;

/// <summary>
/// Refuses a new password that is one of the 437 651 most common ones of published breaches and password lists (see
/// <c>common-passwords.md</c> beside the list for its source), ignoring case, for partners and staff alike — at sign-up by
/// invitation, reset, change and when staff are added. Read once, on first use; only the entries the length rule would
/// not already refuse are kept in memory (about 12 500).
/// </summary>
internal sealed class CommonPasswordValidator<TUser> : IPasswordValidator<TUser>
    where TUser : class
{
    public const string Code = "PasswordTooCommon";

    public Task<IdentityResult> ValidateAsync(UserManager<TUser> manager, TUser user, string? password) =>
        Task.FromResult(password is not null && CommonPasswords.Contains(password)
            ? IdentityResult.Failed(new IdentityError
            {
                Code = Code,
                Description = "This password is one of the most common ones (it is in published lists of breached passwords). Choose another.",
            })
            : IdentityResult.Success);
}

internal static class CommonPasswords
{
    private static readonly Lazy<HashSet<string>> List = new(Load);

    public static int Count => List.Value.Count;

    public static bool Contains(string password) => password.Length >= UserRules.MinPasswordLength && List.Value.Contains(password);

    private static HashSet<string> Load()
    {
        using var resource = typeof(CommonPasswords).Assembly.GetManifestResourceStream("Idunox.Identity.common-passwords.txt.gz")
                             ?? throw new InvalidOperationException("The list of common passwords is missing from the build.");
        using var reader = new StreamReader(new GZipStream(resource, CompressionMode.Decompress));
        var passwords = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length >= UserRules.MinPasswordLength)
            {
                passwords.Add(line);
            }
        }

        return passwords;
    }
}
