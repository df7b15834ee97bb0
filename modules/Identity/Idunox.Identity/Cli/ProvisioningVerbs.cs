using Idunox.Shared.Errors;
using Idunox.Identity.Contracts;
using Idunox.Shared.Modularity;
using Microsoft.Extensions.DependencyInjection;

namespace Idunox.Identity.Cli;

/// <summary><c>tenants add|list|suspend|activate</c>: organisations, for operators.</summary>
internal sealed class TenantsVerb(IServiceScopeFactory scopes) : IHostVerb
{
    public string Name => "tenants";

    public string Description => "manage partner organisations (tenants)";

    public string Usage => """
        tenants add --name <name> [--slug <slug>]   create an organisation (the slug is derived from the name when not given)
        tenants list                                list organisations: slug, status, id, created, name
        tenants suspend <slug>                      suspend: its users cannot sign in, their tokens and its keys stop working
        tenants activate <slug>                     activate again (tokens issued before the suspension stay ended)
        """;

    public async Task<int> RunAsync(IReadOnlyList<string> args, VerbConsole console, CancellationToken cancellationToken)
    {
        var parsed = VerbArguments.Parse(args, options: ["name", "slug"]);
        await using var scope = scopes.CreateAsyncScope();
        var provisioning = scope.ServiceProvider.GetRequiredService<IOrganisationProvisioning>();
        switch (parsed.Positional.FirstOrDefault())
        {
            case "add":
                parsed.ExpectPositional(1, Usage);
                return await Report(console, await provisioning.AddOrganisationAsync(parsed.RequiredOption("name"), parsed.Option("slug"), cancellationToken),
                    o => $"Created organisation '{o.Name}' (slug {o.Slug}, id {o.Id}).");
            case "list":
                parsed.ExpectPositional(1, Usage);
                NoOptions(parsed);
                var all = await provisioning.ListOrganisationsAsync(cancellationToken);
                await console.Out.WriteLineAsync($"{"SLUG",-24} {"STATUS",-10} {"ID",-36} {"CREATED (UTC)",-17} NAME");
                foreach (var o in all)
                {
                    await console.Out.WriteLineAsync($"{o.Slug,-24} {o.Status.ToString().ToLowerInvariant(),-10} {o.Id,-36} {o.CreatedAt:yyyy-MM-dd HH:mm} {o.Name}");
                }

                await console.Out.WriteLineAsync($"{all.Count} organisation(s).");
                return VerbExitCodes.Done;
            case "suspend" or "activate":
                parsed.ExpectPositional(2, Usage);
                NoOptions(parsed);
                var status = parsed.Positional[0] == "suspend" ? OrganisationStatus.Suspended : OrganisationStatus.Active;
                return await Report(console, await provisioning.SetOrganisationStatusAsync(parsed.Positional[1], status, cancellationToken),
                    o => $"Organisation {o.Slug} is now {o.Status.ToString().ToLowerInvariant()}.");
            default:
                throw new VerbUsageException(Usage);
        }
    }

    private void NoOptions(VerbArguments parsed)
    {
        if (parsed.Option("name") is not null || parsed.Option("slug") is not null)
        {
            throw new VerbUsageException(Usage);
        }
    }

    internal static Task<int> Report<T>(VerbConsole console, Outcome<T> result, Func<T, string> done) => VerbOutcome.ReportAsync(console, result, done);
}

/// <summary><c>partners add|disable|enable</c>: portal users of an organisation.</summary>
internal sealed class PartnersVerb(IServiceScopeFactory scopes) : IHostVerb
{
    public string Name => "partners";

    public string Description => "manage an organisation's portal users";

    public string Usage => """
        partners add --tenant <slug> --email <email> [--name <display name>] [--password-stdin]
                                     invite a portal user: prints a one-time link (72 hours) with which the person
                                     chooses their own password; with --password-stdin the first line of standard
                                     input is the password instead, and no link is made
        partners disable <email>     the user cannot sign in, and every token it holds stops working
        partners enable <email>      the user can sign in again (its old tokens stay ended)
        """;

    public async Task<int> RunAsync(IReadOnlyList<string> args, VerbConsole console, CancellationToken cancellationToken)
    {
        var parsed = VerbArguments.Parse(args, options: ["tenant", "email", "name"], flags: ["password-stdin"]);
        await using var scope = scopes.CreateAsyncScope();
        var provisioning = scope.ServiceProvider.GetRequiredService<IOrganisationProvisioning>();
        switch (parsed.Positional.FirstOrDefault())
        {
            case "add":
                parsed.ExpectPositional(1, Usage);
                var tenant = parsed.RequiredOption("tenant");
                var email = parsed.RequiredOption("email");
                if (!parsed.Flag("password-stdin"))
                {
                    var accounts = scope.ServiceProvider.GetRequiredService<Onboarding.PartnerAccounts>();
                    return await TenantsVerb.Report(console, await accounts.InviteAsync(tenant, email, parsed.Option("name"), cancellationToken),
                        i => $"Invited portal user {i.User.Email} to {tenant} (id {i.User.Id})." + Environment.NewLine +
                             $"Invitation link (shown once, valid until {i.ExpiresAt:yyyy-MM-dd HH:mm} UTC; pass it on over a secure channel):" +
                             Environment.NewLine + i.Link);
                }

                var password = await Passwords.ReadAsync(console);
                return await TenantsVerb.Report(console,
                    await provisioning.AddPartnerUserAsync(tenant, email, parsed.Option("name"), password, cancellationToken),
                    u => $"Created portal user {u.Email} in {tenant} (id {u.Id}).");
            case "disable" or "enable":
                parsed.ExpectPositional(2, Usage);
                var enable = parsed.Positional[0] == "enable";
                return await TenantsVerb.Report(console,
                    await provisioning.SetPartnerUserEnabledAsync(parsed.Positional[1], enable, cancellationToken),
                    u => $"Portal user {u.Email} is now {(enable ? "enabled" : "disabled")}.");
            default:
                throw new VerbUsageException(Usage);
        }
    }
}

internal static class Passwords
{
    /// <summary>The password from the first line of standard input (never printed, never an argument a process list shows).</summary>
    public static async Task<string> ReadAsync(VerbConsole console)
    {
        var line = await console.In.ReadLineAsync();
        return string.IsNullOrEmpty(line) ? throw new VerbUsageException("--password-stdin: standard input held no password.") : line;
    }
}
