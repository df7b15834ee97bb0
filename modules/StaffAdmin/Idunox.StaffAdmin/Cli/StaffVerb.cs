using Idunox.Shared.Errors;
using Idunox.Identity.Contracts;
using Idunox.Shared.Modularity;
using Idunox.StaffAdmin.Actions;
using Idunox.StaffAdmin.Staff;
using Microsoft.Extensions.DependencyInjection;

namespace Idunox.StaffAdmin.Cli;

/// <summary>
/// <c>staff list|add|disable|enable|roles|reset-2fa|sign-out</c>: the Idunox staff accounts, for operators (the first
/// admin, and whenever nobody can sign in to the staff area). Every change is written to the staff log as
/// "command line (operating-system account)", with the reason given.
/// </summary>
internal sealed class StaffVerb(IServiceScopeFactory scopes) : IHostVerb
{
    public string Name => "staff";

    public string Description => "Idunox staff accounts: list, invite, disable/enable, roles (staff, ops, admin), reset two-factor, sign out";

    public string Usage => """
        staff list                              every staff member: e-mail, roles, state (invited, active, disabled), two-factor
        staff add --email <email> [--role ops,admin] [--password-stdin]
                                                invite a staff member (role staff, plus the roles given): prints a one-time link
                                                (72 hours) to pass on; with it the person chooses a password, then enrols an
                                                authenticator (the staff area's invitation also e-mails it). With --password-stdin the first line of standard input is the
                                                password instead (never printed), and no link is made
        staff disable <email> --reason <why>    the member cannot sign in; every session ends at once
        staff enable <email> --reason <why>     the member can sign in again
        staff roles <email> --role <roles> --reason <why>
                                                set the roles, e.g. --role ops,admin (staff is always kept; --role staff for none other)
        staff reset-2fa <email> --reason <why>  remove the authenticator and recovery codes (a lost phone) and end every
                                                session; the member is told by e-mail and enrols again at the next sign-in
        staff sign-out <email> --reason <why>   end every session of the member
        """;

    public async Task<int> RunAsync(IReadOnlyList<string> args, VerbConsole console, CancellationToken cancellationToken)
    {
        var parsed = VerbArguments.Parse(args, options: ["email", "role", "reason"], flags: ["password-stdin"]);
        await using var scope = scopes.CreateAsyncScope();
        var members = scope.ServiceProvider.GetRequiredService<StaffMembers>();
        var actor = StaffActor.CommandLine();
        switch (parsed.Positional)
        {
            case ["list"]:
                Only(parsed);
                var all = await members.ListAsync(cancellationToken);
                await console.Out.WriteLineAsync($"{"E-MAIL",-40} {"STATE",-9} {"2FA",-4} ROLES");
                foreach (var m in all)
                {
                    var state = !m.Enabled ? "disabled" : m.PasswordSet ? "active" : "invited";
                    await console.Out.WriteLineAsync($"{m.Email,-40} {state,-9} {(m.TwoFactorEnabled ? "on" : "off"),-4} {string.Join(", ", m.Roles)}");
                }

                await console.Out.WriteLineAsync($"{all.Count} staff member(s).");
                return VerbExitCodes.Done;
            case ["add"]:
                Only(parsed, "email", "role", "reason", "password-stdin");
                var email = parsed.RequiredOption("email");
                var roles = Roles(parsed.Option("role"));
                if (parsed.Flag("password-stdin"))
                {
                    var password = await ReadPasswordAsync(console);
                    return await ReportAsync(console, await members.AddWithPasswordAsync(actor, email, roles, password, parsed.Option("reason"), cancellationToken),
                        u => $"Created staff user {u.Email} with roles {string.Join(", ", u.Roles)} (id {u.Id}).");
                }

                return await ReportAsync(console, await members.InviteAsync(actor, email, roles, parsed.Option("reason"), sendEmail: false, cancellationToken),
                    i => $"Invited staff member {i.Member.Email} with roles {string.Join(", ", i.Member.Roles)} (id {i.Member.Id})." +
                         Environment.NewLine + $"Invitation link (shown once, valid until {i.ExpiresAt:yyyy-MM-dd HH:mm} UTC; pass it on over a secure channel):" +
                         Environment.NewLine + i.Link);
            case ["disable" or "enable", var who]:
                Only(parsed, "reason");
                parsed.RequiredOption("reason");
                var enable = parsed.Positional[0] == "enable";
                return await WithMemberAsync(console, members, who, cancellationToken, async id => await ReportAsync(console,
                    await members.SetEnabledAsync(actor, id, enable, parsed.Option("reason"), cancellationToken),
                    m => $"Staff member {m.Email} is now {(enable ? "enabled" : "disabled and signed out everywhere")}."));
            case ["roles", var who]:
                Only(parsed, "role", "reason");
                parsed.RequiredOption("reason");
                var wanted = Roles(parsed.RequiredOption("role"));
                return await WithMemberAsync(console, members, who, cancellationToken, async id => await ReportAsync(console,
                    await members.SetRolesAsync(actor, id, wanted, parsed.Option("reason"), cancellationToken),
                    m => $"Staff member {m.Email} now has the roles {string.Join(", ", m.Roles)}."));
            case ["reset-2fa", var who]:
                Only(parsed, "reason");
                parsed.RequiredOption("reason");
                return await WithMemberAsync(console, members, who, cancellationToken, async id => await ReportAsync(console,
                    await members.ResetTwoFactorAsync(actor, id, parsed.Option("reason"), cancellationToken),
                    m => $"The authenticator of staff user {m.Email} was removed and its sessions ended; it enrols a new one at its next sign-in."));
            case ["sign-out", var who]:
                Only(parsed, "reason");
                parsed.RequiredOption("reason");
                return await WithMemberAsync(console, members, who, cancellationToken, async id => await ReportAsync(console,
                    await members.EndSessionsAsync(actor, id, parsed.Option("reason"), cancellationToken),
                    n => $"Ended {n} session(s) of {who}."));
            default:
                throw new VerbUsageException(Usage);
        }
    }

    /// <summary>Refuses every option and flag but those named: a misplaced option is a usage error, never ignored.</summary>
    private void Only(VerbArguments parsed, params string[] allowed)
    {
        foreach (var option in new[] { "email", "role", "reason" })
        {
            if (!allowed.Contains(option) && parsed.Option(option) is not null)
            {
                throw new VerbUsageException($"--{option} does not belong here.{Environment.NewLine}{Usage}");
            }
        }

        if (!allowed.Contains("password-stdin") && parsed.Flag("password-stdin"))
        {
            throw new VerbUsageException($"--password-stdin does not belong here.{Environment.NewLine}{Usage}");
        }
    }

    private static IReadOnlyList<string> Roles(string? list)
    {
        var roles = (list ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = roles.Except(StaffRoles.All).ToList();
        return unknown.Count > 0
            ? throw new VerbUsageException($"--role takes {string.Join(", ", StaffRoles.All)} (comma-separated); '{string.Join(", ", unknown)}' is none of them.")
            : roles;
    }

    /// <summary>Runs <paramref name="act"/> for the member with this e-mail address, or says there is none (exit 1).</summary>
    private static async Task<int> WithMemberAsync(VerbConsole console, StaffMembers members, string email, CancellationToken cancellationToken,
        Func<Guid, Task<int>> act)
    {
        if (await members.FindByEmailAsync(email, cancellationToken) is { } member)
        {
            return await act(member.Id);
        }

        await console.Error.WriteLineAsync($"error: No staff user has the e-mail address '{email}'.");
        return VerbExitCodes.Failed;
    }

    private static async Task<string> ReadPasswordAsync(VerbConsole console)
    {
        var line = await console.In.ReadLineAsync();
        return string.IsNullOrEmpty(line) ? throw new VerbUsageException("--password-stdin: standard input held no password.") : line;
    }

    private static Task<int> ReportAsync<T>(VerbConsole console, Outcome<T> result, Func<T, string> done) => VerbOutcome.ReportAsync(console, result, done);
}
