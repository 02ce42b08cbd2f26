Attribute VB_Name = "PerfEval"
' perfeval-xl ribbon callbacks (tab "PerfEval" in customUI.xml).
'
' Every button calls Python through the xlwings add-in, late-bound:
'     Application.Run "xlwings.xlam!RunPython", "<python command>"
' so this project embeds no xlwings code and holds no reference to the
' xlwings project: it compiles and can show its own message even when the
' add-in is missing. xlwings passes ActiveWorkbook to Python as the caller,
' so the callback makes this workbook active first.
'
' Source is ASCII only (the project code page does not matter): Chinese
' text is written as \uXXXX escapes and decoded at run time by Zh().
' The readable text of each MSG_ constant is in perfeval_xl/xlsx/macro.py
' (VBA_MESSAGES); tests check that both agree.
Option Explicit

Private Const XLWINGS_ADDIN As String = "xlwings.xlam"
Private Const MSG_TITLE As String = "\u7ee9\u6548\u81ea\u8bc4"
Private Const MSG_NO_XLWINGS As String = "\u672a\u68c0\u6d4b\u5230 xlwings \u52a0\u8f7d\u9879\u3002\u8bf7\u5148\u6309 README \u5b89\u88c5 Python\u3001perfeval-xl \u548c xlwings \u52a0\u8f7d\u9879\uff08\u547d\u4ee4\u884c\u8fd0\u884c xlwings addin install\uff09\uff0c\u7136\u540e\u91cd\u65b0\u6253\u5f00\u672c\u5de5\u4f5c\u7c3f\u3002"
Private Const MSG_RUN_FAILED As String = "\u8c03\u7528 Python \u65f6\u51fa\u9519\uff0c\u8bf7\u628a\u4ee5\u4e0b\u4fe1\u606f\u53d1\u7ed9\u6280\u672f\u652f\u6301\uff1a"

' ---- ribbon callbacks -------------------------------------------------------

Public Sub OnValidate(control As IRibbonControl)
    CallPython "import perfeval_xl.excel as m; m.validate_book()"
End Sub

Public Sub OnScore(control As IRibbonControl)
    CallPython "import perfeval_xl.excel as m; m.score_book()"
End Sub

Public Sub OnSummary(control As IRibbonControl)
    CallPython "import perfeval_xl.excel as m; m.summary_book()"
End Sub

Public Sub OnClearMarks(control As IRibbonControl)
    CallPython "import perfeval_xl.excel as m; m.clear_marks()"
End Sub

Public Sub OnAbout(control As IRibbonControl)
    CallPython "import perfeval_xl.excel as m; m.about()"
End Sub

' ---- calling Python -----------------------------------------------------------

' Runs a Python command on this workbook; shows a Chinese message box on failure.
Private Sub CallPython(ByVal command As String)
    Dim problem As String
    problem = TryRunPython(command)
    If Len(problem) > 0 Then MsgBox problem, vbExclamation, Zh(MSG_TITLE)
End Sub

' Returns "" when xlwings ran the command, else the Chinese message to show.
' Errors inside Python are reported by Python itself (perfeval_xl.excel).
Private Function TryRunPython(ByVal command As String) As String
    Dim addin As Object
    On Error Resume Next
    Set addin = Workbooks(XLWINGS_ADDIN)
    On Error GoTo 0
    If addin Is Nothing Then
        TryRunPython = Zh(MSG_NO_XLWINGS)
        Exit Function
    End If
    On Error GoTo Failed
    If Not ActiveWorkbook Is ThisWorkbook Then ThisWorkbook.Activate
    Application.Run XLWINGS_ADDIN & "!RunPython", command
    Exit Function
Failed:
    TryRunPython = Zh(MSG_RUN_FAILED) & vbCrLf & Err.Description
End Function

' ---- text -------------------------------------------------------------------

' Decodes \uXXXX escapes (UTF-16 code units, 4 hex digits) into text.
Private Function Zh(ByVal escaped As String) As String
    Dim i As Long, result As String
    i = 1
    Do While i <= Len(escaped)
        If Mid$(escaped, i, 2) = "\u" Then
            result = result & ChrW(HexValue(Mid$(escaped, i + 2, 4)))
            i = i + 6
        Else
            result = result & Mid$(escaped, i, 1)
            i = i + 1
        End If
    Loop
    Zh = result
End Function

Private Function HexValue(ByVal digits As String) As Long
    Dim i As Long, value As Long
    For i = 1 To Len(digits)
        value = value * 16 + InStr(1, "0123456789ABCDEF", UCase$(Mid$(digits, i, 1))) - 1
    Next i
    HexValue = value
End Function

' ---- self-test (run by the LibreOffice test; not on the ribbon) --------------

' Adds a sheet and writes: a marker, the decoded xlwings message, and what a
' button would report here (xlwings is absent under LibreOffice). Having a
' parameter keeps it out of Excel's macro list.
Public Sub SelfTest(Optional ByVal sheetName As String = "PerfEvalSelfTest")
    Dim ws As Object
    Set ws = ThisWorkbook.Worksheets.Add
    ws.Name = sheetName
    ws.Range("A1").Value = "PerfEval self-test OK"
    ws.Range("A2").Value = Zh(MSG_NO_XLWINGS)
    ws.Range("A3").Value = TryRunPython("import perfeval_xl.excel as m; m.about()")
End Sub
