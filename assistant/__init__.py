"""规划纲要问答助手: cited answers about the Liaoning 15th Five-Year Plan outline."""

__version__ = "0.1.0"
