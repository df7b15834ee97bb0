using Microsoft.Extensions.Configuration;

namespace Idunox.Shared.Jobs;

/// <summary>
/// <c>Jobs:BatchSize</c> (default 1 000, 10–50 000): how many rows a set-based job (grace sweep, reminder planning)
/// claims and records in one transaction. A run works through its backlog batch by batch, so its memory is bounded by
/// the batch size (times the workers) and a run that dies loses at most the batches in hand (rolled back; the next run
/// does them). <c>Jobs:BatchWorkers</c> (default 2, 1–8): batches one run works on at once, on PostgreSQL.
/// </summary>
public sealed record JobBatches(int Size, int Workers = 2)
{
    public const int Default = 1_000;

    public static JobBatches From(IConfiguration configuration) =>
        new(Math.Clamp(configuration.GetValue("Jobs:BatchSize", Default), 10, 50_000), Math.Clamp(configuration.GetValue("Jobs:BatchWorkers", 2), 1, 8));
}
