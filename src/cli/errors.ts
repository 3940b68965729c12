/** A command that cannot do what it was asked, for a reason the user can act on: printed as one line. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message)
    this.name = 'CliError'
  }
}

/** Runs an operator's action; what the domain refuses (OperatorRefused) becomes a one-line CliError. */
export async function operatorAction<T>(work: () => Promise<T>): Promise<T> {
  const { OperatorRefused } = await import('../deletion/operator.js')
  try {
    return await work()
  } catch (error) {
    if (error instanceof OperatorRefused) throw new CliError(error.message)
    throw error
  }
}
